from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"

    def ready(self):
        from assets.metrics import StorageCollector
        from core.metrics import register_scrape_collector

        register_scrape_collector(StorageCollector())
