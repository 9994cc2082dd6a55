"""Import custom concepts from a SKOS Turtle file; each must sit under a concept that exists."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.audit import SYSTEM
from ontology.models import Concept
from ontology.scheme import from_skos_turtle
from ontology.services import add_custom_concept


class Command(BaseCommand):
    help = "Add the concepts of a SKOS Turtle file that are not in the scheme yet, under their skos:broader."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path, **options):
        known = set(Concept.objects.values_list("id", flat=True))
        added = 0
        for concept in from_skos_turtle(path.read_text()):
            if concept["id"] in known:
                continue
            parents = [b for b in concept["broader"] if b in known]
            if not parents:
                raise CommandError(f"{concept['pref_label']!r} has no broader concept that exists here")
            created = add_custom_concept(
                concept["pref_label"], broader=parents[0], actor=SYSTEM,
                alt_labels=concept["alt_labels"], definition=concept["definition"],
            )
            known.add(created.pk)
            added += 1
        self.stdout.write(f"{added} concepts added")
