from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self):
        from governance import upload_rights  # noqa: F401 - connects the receivers of assets' signals
        from governance.services import rights  # noqa: F401
