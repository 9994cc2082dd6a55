"""Rebuild search's rows: after loading data past the services, or on a database that predates search."""
from django.core.management.base import BaseCommand

from assets.models import Asset, AssetVersion
from ontology.labels import refresh_labels
from search.indexing import hash_version, reindex_asset


class Command(BaseCommand):
    help = "Rebuild the concept label table, every asset's search document and missing image hashes."

    def handle(self, *args, **options):
        labels = refresh_labels()
        assets = Asset.objects.select_related("current_version").order_by("pk")
        for asset in assets.iterator(chunk_size=500):
            reindex_asset(asset)
        unhashed = AssetVersion.objects.filter(image_hash__isnull=True).order_by("pk")
        hashed = sum(hash_version(version) is not None for version in unhashed.iterator(chunk_size=100))
        self.stdout.write(f"{labels} concept labels, {assets.count()} search documents, {hashed} new image hashes.")
