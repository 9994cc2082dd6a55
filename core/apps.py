from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every feature app shares and none owns: the audit log, refusals, retries, file storage, and what
    operators watch (metrics, health, structured logs with request ids)."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import request_id, workers  # noqa: F401 - connect their Celery signal receivers
