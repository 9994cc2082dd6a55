"""Opt vector models into indexed search, index frequent concepts, re-cluster or drop: see ``search.vectors``."""
from django.core.management.base import BaseCommand, CommandError

from enrichment.models import Capability, ModelRun
from search import vectors

VECTOR_CAPABILITIES = (Capability.SIMILARITY, Capability.CLIP)


class Command(BaseCommand):
    help = ("Copy each active vector model's vectors into the search side tables and build its HNSW index, "
            "then index concepts that grew past search.vectors.CONCEPT_INDEX_ROWS. Safe to re-run (e.g. nightly).")

    def add_arguments(self, parser):
        parser.add_argument("--model", type=int, action="append", default=[],
                            help="ModelRun id (repeatable); default: every active similarity/CLIP model.")
        parser.add_argument("--recluster", action="store_true",
                            help="Also rewrite the label rows in concept order (locks them; run off-peak).")
        parser.add_argument("--drop", type=int, action="append", default=[],
                            help="ModelRun id to take out of indexed search (repeatable).")

    def handle(self, *args, model, recluster, drop, **options):
        for model_id in drop:
            vectors.drop_vector_indexes(model_id)
            self.stdout.write(f"model run {model_id}: vector indexes dropped")
        if drop and not model:
            return
        runs = ModelRun.objects.filter(pk__in=model) if model else ModelRun.objects.filter(
            active=True, capability__in=VECTOR_CAPABILITIES)
        missing = set(model) - set(runs.values_list("pk", flat=True))
        if missing:
            raise CommandError(f"no model run with id {', '.join(map(str, sorted(missing)))}")
        for run in runs.order_by("pk"):
            dims = vectors.ensure_vector_indexes(run, concept_indexes=False)
            if dims is None:
                self.stdout.write(f"{run} (id {run.pk}): no vectors yet, nothing to index")
                continue
            concepts = vectors.ensure_concept_indexes(run)
            self.stdout.write(f"{run} (id {run.pk}): {dims}-d vectors indexed; "
                              f"{len(concepts)} new concept indexes")
        if recluster:
            vectors.recluster_labels()
            self.stdout.write("label rows rewritten in concept order")
