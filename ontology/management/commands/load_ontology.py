"""Reload the committed WordNet concept file into the database (after rebuilding it)."""
from django.core.management.base import BaseCommand

from ontology.services import sync_concepts


class Command(BaseCommand):
    help = "Upsert the WordNet concepts from ontology/data/concepts.json.gz; custom concepts stay."

    def handle(self, *args, **options):
        self.stdout.write(f"{sync_concepts()} WordNet concepts loaded")
