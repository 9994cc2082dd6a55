"""Export the concept scheme, custom concepts included, as SKOS Turtle or JSON-LD."""
import json

from django.core.management.base import BaseCommand

from ontology.scheme import to_skos_jsonld, to_skos_turtle
from ontology.services import scheme_from_database


class Command(BaseCommand):
    help = "Write the concept scheme as SKOS (Turtle by default) to stdout."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["turtle", "jsonld"], default="turtle")

    def handle(self, *args, format, **options):
        scheme = scheme_from_database()
        if format == "turtle":
            self.stdout.write(to_skos_turtle(scheme))
        else:
            self.stdout.write(json.dumps(to_skos_jsonld(scheme), indent=1, ensure_ascii=False))
