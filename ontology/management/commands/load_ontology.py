"""Reload the committed WordNet concept file into the database (after rebuilding it)."""
from django.core.management.base import BaseCommand

from ontology.services import sync_concepts
from search.concepts import refresh_labels


class Command(BaseCommand):
    help = "Upsert the WordNet concepts from ontology/data/concepts.json.gz (custom concepts stay) and their search labels."

    def handle(self, *args, **options):
        count = sync_concepts()
        refresh_labels()  # bulk upserts skip the signals that keep search labels current
        self.stdout.write(f"{count} WordNet concepts loaded")
