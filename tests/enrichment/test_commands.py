"""``manage.py enrich``: batches in-process, only failed jobs, queueing, and switching the active model."""
import pytest
from django.core.management import call_command
from django.utils import timezone

from assets.models import Asset
from enrichment.adapters.base import ModelInfo
from enrichment.models import Capability, EnrichmentJob, MachineLabel, ModelRun
from enrichment.services.model_runs import model_run
from support import wait_for

Status = EnrichmentJob.Status


def attempts(versions, capability):
    return [EnrichmentJob.objects.get(version=v, capability=capability).attempts for v in versions]


@pytest.fixture
def ready_versions(version_with_rendition):
    versions = [version_with_rendition(name) for name in ("chelsea", "coffee", "astronaut")]
    Asset.objects.update(status=Asset.Status.READY)
    return versions


@pytest.mark.django_db
@pytest.mark.usefixtures("concepts")
def test_sync_runs_batches_and_only_failed_reruns_just_those(ready_versions, add_working_rendition, capsys):
    call_command("enrich", "--sync", "--capability", "classify", "--batch-size", "2")
    assert attempts(ready_versions, Capability.CLASSIFY) == [1, 1, 1]
    assert "classify: 3 done" in capsys.readouterr().out
    assert MachineLabel.objects.filter(version__in=ready_versions).values("version").distinct().count() == 3

    broken = add_working_rendition(ready_versions[1], b"garbage")
    call_command("enrich", "--sync", "--capability", "classify", "--asset", str(ready_versions[1].asset.uid))
    assert EnrichmentJob.objects.get(version=ready_versions[1], capability=Capability.CLASSIFY).status == Status.FAILED

    broken.delete()
    call_command("enrich", "--sync", "--capability", "classify", "--only-failed")
    assert attempts(ready_versions, Capability.CLASSIFY) == [1, 3, 1]
    assert EnrichmentJob.objects.get(version=ready_versions[1], capability=Capability.CLASSIFY).status == Status.DONE


@pytest.mark.django_db
def test_activate_model_switches_what_search_reads(capsys):
    old = model_run(Capability.DETECT, ModelInfo("yolox_nano.onnx", "old", "a" * 64))
    new = model_run(Capability.DETECT, ModelInfo("yolox_nano.onnx", "new", "b" * 64))
    assert old.active and not new.active
    call_command("enrich", "--activate-model", str(new.pk))
    assert list(ModelRun.objects.filter(active=True).values_list("pk", flat=True)) == [new.pk]
    assert f"(#{new.pk})" in capsys.readouterr().out


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("concepts")
def test_without_sync_the_jobs_are_queued_for_the_workers(ingested):
    version = ingested("coffee")
    before = timezone.now()
    call_command("enrich", "--asset", str(version.asset.uid), "--capability", "detect", "--capability", "ocr")
    rerun = EnrichmentJob.objects.filter(version=version, capability__in=[Capability.DETECT, Capability.OCR])
    wait_for(lambda: not rerun.filter(updated_at__lte=before).exists()
             and not rerun.filter(status__in=[Status.PENDING, Status.RUNNING]).exists(),
             timeout=60, message="the queued re-run")
    assert EnrichmentJob.objects.get(version=version, capability=Capability.CLASSIFY).updated_at < before
