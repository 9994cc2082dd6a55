from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    name = "enrichment"
    verbose_name = "Enrichment"

    def ready(self):
        from enrichment.services import people, pipeline  # noqa: F401 - connect their receivers (assets' signals,
        # collections that change)
