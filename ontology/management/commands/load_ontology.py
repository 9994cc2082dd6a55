"""Reload the committed WordNet concept file into the database (after rebuilding it)."""
from django.core.management.base import BaseCommand

from ontology.labels import refresh_labels
from ontology.services import sync_concepts


class Command(BaseCommand):
    help = "Upsert the WordNet concepts from ontology/data/concepts.json.gz (custom concepts stay) and their labels."

    def handle(self, *args, **options):
        count = sync_concepts()
        refresh_labels()  # bulk upserts skip the signal that keeps concept labels current
        self.stdout.write(f"{count} WordNet concepts loaded")
