from django.apps import AppConfig


class OntologyConfig(AppConfig):
    name = "ontology"
    verbose_name = "Ontology"

    def ready(self):
        from ontology import labels  # noqa: F401 - connects the receiver that keeps concept labels current
