"""Enrich current versions again: in-process batches (--sync) or queued on the enrichment workers."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from assets.models import Asset, AssetVersion
from core.audit import SYSTEM
from enrichment.models import EnrichmentJob, ModelRun
from enrichment.services import activate_model
from enrichment.services.capabilities import PIPELINE
from enrichment.services.jobs import run_step
from enrichment.tasks import queue_enrichment, send_gathered


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--capability", action="append", choices=PIPELINE,
                            help="Only this capability (repeatable); default: all.")
        parser.add_argument("--only-failed", action="store_true", help="Only versions whose job failed.")
        parser.add_argument("--collection", help="Only assets in the collection with this slug.")
        parser.add_argument("--asset", help="Only the asset with this uid.")
        parser.add_argument("--batch-size", type=int, default=32, help="Images per model call with --sync.")
        parser.add_argument("--sync", action="store_true", help="Run here, in batches, instead of queueing.")
        parser.add_argument("--activate-model", type=int, metavar="ID",
                            help="Make this model run the one search reads (and deactivate the one it replaces).")

    def handle(self, *args, **options):
        if options["activate_model"] is not None:
            return self._activate(options["activate_model"])
        capabilities = [c for c in PIPELINE if c in (options["capability"] or PIPELINE)]
        versions = self._versions(options)
        plan = {c: self._targets(versions, c, options["only_failed"]) for c in capabilities}
        if options["sync"]:
            self._run_here(plan, max(1, options["batch_size"]))
        else:
            self._enqueue(plan)

    def _activate(self, run_id):
        run = ModelRun.objects.filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"No model run with id {run_id}.")
        activate_model(run, actor=SYSTEM)
        active = ModelRun.objects.filter(active=True).order_by("capability")
        self.stdout.write("Active now: " + "; ".join(f"{r.capability}: {r} (#{r.pk})" for r in active))

    def _versions(self, options):
        assets = Asset.objects.filter(status=Asset.Status.READY, current_version__isnull=False)
        if options["collection"]:
            assets = assets.filter(collections__slug=options["collection"])
        if options["asset"]:
            assets = assets.filter(uid=options["asset"])
        return AssetVersion.objects.filter(pk__in=assets.values("current_version")).select_related("asset").order_by("pk")

    def _targets(self, versions, capability, only_failed):
        if only_failed:
            failed = EnrichmentJob.objects.filter(capability=capability, status=EnrichmentJob.Status.FAILED)
            versions = versions.filter(pk__in=failed.values("version"))
        return list(versions)

    def _run_here(self, plan, batch_size):
        """Moderation first, like the queued pipeline; each capability in batches through its adapter."""
        for capability, versions in plan.items():
            with tqdm(total=len(versions), desc=capability, unit="img") as progress:
                for start in range(0, len(versions), batch_size):
                    batch = versions[start : start + batch_size]
                    run_step(capability, batch)
                    progress.update(len(batch))
        self._summary(plan)

    def _enqueue(self, plan):
        per_version = {}
        for capability, versions in plan.items():
            for version in versions:
                per_version.setdefault(version.pk, []).append(capability)
        for version_id, capabilities in tqdm(per_version.items(), desc="queue", unit="version"):
            queue_enrichment(version_id, capabilities)
        send_gathered()  # a last batch that did not fill, once the queue is short
        self.stdout.write(f"Queued {len(per_version)} versions on the enrichment queue.")

    def _summary(self, plan):
        for capability, versions in plan.items():
            counts = dict.fromkeys(EnrichmentJob.Status.values, 0)
            jobs = EnrichmentJob.objects.filter(capability=capability, version__in=versions)
            for status in jobs.values_list("status", flat=True):
                counts[status] += 1
            self.stdout.write(f"{capability}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
