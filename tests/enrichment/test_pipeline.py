"""End to end on the real worker: ingest -> renditions (faces blurred by policy) -> enrichment results."""
import hashlib
import io

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageOps

from assets.models import Asset, Collection
from assets.renditions import untransformed
from assets.services.collections import add_to_collection
from assets.services.face_policy import set_face_policy
from assets.services.ingest import add_version, ingest_file, restore_version
from core.models import AuditEntry
from enrichment.models import Capability, Detection, Embedding, EnrichmentJob, MachineLabel, ModerationResult, OcrText
from enrichment.services import reject_label
from enrichment.services.capabilities import PIPELINE
from enrichment.services.working_image import working_rendition
from enrichment.tasks import enrich_version
from ontology.models import Concept
from support import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("concepts")]

Status = EnrichmentJob.Status


def jobs(version):
    return dict(EnrichmentJob.objects.filter(version=version).values_list("capability", "status"))


def labels(version):
    return set(MachineLabel.objects.effective().filter(version=version).values_list("concept__name", flat=True))


def similarity(version):
    return np.asarray(Embedding.objects.get(version=version, model__capability=Capability.SIMILARITY).vector)


def edge_energy(grey):
    return np.abs(np.diff(grey, axis=1)).mean()


def upright(field):
    with field.open("rb") as stored:
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(stored.read()))).convert("RGB")
    return image


def test_photos_end_with_labels_boxes_faces_text_verdicts_and_vectors(ingested, samples):
    cat, astronaut, coffee, page = (ingested(name) for name in ("chelsea", "astronaut", "coffee", "page"))
    sideways = ingested((samples / "jpg/orientation/portrait_6.jpg").open("rb"))
    upright_twin = ingested((samples / "jpg/orientation/portrait_1.jpg").open("rb"))

    for version in (cat, astronaut, coffee, page, sideways):
        assert Asset.objects.get(pk=version.asset_id).status == Asset.Status.READY
        assert set(jobs(version)) == set(PIPELINE)
        assert jobs(version)[Capability.CLIP] == Status.SKIPPED  # no CLIP weights offline
        assert ModerationResult.objects.filter(version=version).count() == 1
        assert Asset.objects.get(pk=version.asset_id).moderation_state == Asset.Moderation.CLEAR
        assert len(similarity(version)) == 1280
        assert EnrichmentJob.objects.get(version=version, capability=Capability.CLASSIFY).latency_ms > 0

    cat_concept = Concept.objects.get(name="cat.n.01")
    top = MachineLabel.objects.filter(version=cat, model__capability=Capability.CLASSIFY).first().concept
    assert cat_concept.pk in top.ancestors
    implied = Concept.objects.filter(pk__in=top.ancestors).values_list("name", flat=True)
    assert {"cat.n.01", "feline.n.01", "animal.n.01"} <= set(implied)

    assert "person.n.01" in labels(astronaut)
    person = Detection.objects.filter(version=astronaut, label="person").first()
    assert person.x + person.w <= astronaut.width + 1 and person.w > astronaut.width / 4  # displayed pixels
    assert Detection.objects.filter(version=astronaut, kind=Detection.Kind.FACE).count() == 1
    assert not Detection.objects.filter(version=cat, kind=Detection.Kind.FACE).exists()
    assert "cup.n.01" in labels(coffee)

    assert "Region-based segmentation" in OcrText.objects.get(version=page).text
    assert jobs(cat)[Capability.OCR] == Status.SKIPPED

    # A photo stored sideways with an EXIF orientation tag is analysed upright.
    assert (sideways.width, sideways.height) == (450, 600)
    # Two encodings of the same upright photo score 0.89-0.94 here; the sideways pixels read as stored, 0.77.
    assert float(similarity(sideways) @ similarity(upright_twin)) > 0.85
    assert labels(sideways) & labels(upright_twin)


def assert_faces_hidden(version, face):
    """Every stored rendition of ``version`` is blurred in the face box (against the original at the same
    size), the original is untouched, and models read pixels in which no face can be found."""
    from enrichment.adapters import to_rgb
    from enrichment.services.capabilities import face_detector

    original = upright(version.file)
    renditions = list(version.renditions.all())
    assert len(renditions) >= 3
    for rendition in renditions:
        blurred = upright(rendition.file)
        reference = original.resize(blurred.size, Image.Resampling.LANCZOS)
        scale = blurred.width / original.width
        box = tuple(int(v * scale) for v in (face.x, face.y, face.x + face.w, face.y + face.h))
        before, after = (np.asarray(image.crop(box).convert("L"), np.float64) for image in (reference, blurred))
        assert after.var() < before.var() / 2, rendition.spec
        assert edge_energy(after) < edge_energy(before) / 3, rendition.spec
    with version.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == version.sha256  # the original is untouched
    with working_rendition(version).file.open("rb") as stored:
        assert face_detector().detect([to_rgb(Image.open(stored))]) == [[]]


def face_of(version):
    return Detection.objects.get(version=version, kind=Detection.Kind.FACE)


def test_faces_are_blurred_in_every_rendition_and_models_see_the_blurred_pixels(ingested, user):
    staff = Collection.objects.create(name="Staff", slug="staff", anonymise_faces=True, created_by=user)
    version = ingested("astronaut", collections=[staff])

    states = jobs(version)
    assert states[Capability.ANONYMISE] == Status.DONE and states[Capability.FACES] == Status.DONE
    assert_faces_hidden(version, face_of(version))


def test_filing_into_a_collection_with_the_policy_re_makes_existing_renditions_blurred(ingested, settle, user, actor):
    version = ingested("astronaut")
    face = face_of(version)
    shown = {rendition.file.name for rendition in version.renditions.all()}
    staff = Collection.objects.create(name="Staff", slug="staff", anonymise_faces=True, created_by=user)
    before = timezone.now()

    add_to_collection(version.asset, staff, actor=actor)
    assert not version.renditions.exists()  # taken down at once, before the worker re-makes them
    settle(version, since=before)

    assert jobs(version)[Capability.ANONYMISE] == Status.DONE
    assert Asset.objects.get(pk=version.asset_id).status == Asset.Status.READY
    assert_faces_hidden(version, face)
    assert not any(default_storage.exists(name) for name in shown)  # deleted, not orphaned
    assert AuditEntry.objects.filter(asset=version.asset, action="asset.discard_renditions").count() == 1


def test_the_same_bytes_uploaded_again_asking_for_blurred_faces_apply_the_policy(ingested, skimage_file, settle, actor):
    version = ingested("astronaut")
    face = face_of(version)
    before = timezone.now()

    again = ingest_file(skimage_file("astronaut"), filename="astronaut.jpg", actor=actor, anonymise_faces=True)
    assert not again.created and again.asset.pk == version.asset_id
    settle(version, since=before)

    assert Asset.objects.get(pk=version.asset_id).anonymise_faces
    assert AuditEntry.objects.filter(asset=version.asset, action="asset.face_policy").exists()
    assert_faces_hidden(version, face)


def test_switching_the_policy_on_for_a_collection_covers_every_version(ingested, skimage_file, settle, user, actor):
    staff = Collection.objects.create(name="Staff", slug="staff", created_by=user)
    first = ingested("astronaut", collections=[staff])
    face = face_of(first)
    first_files = {rendition.file.name for rendition in first.renditions.all()}
    current = settle(add_version(first.asset, skimage_file("coffee"), filename="coffee.jpg", actor=actor))
    before = timezone.now()

    set_face_policy(staff, True, actor=actor)
    settle(current, since=before)

    assert current.renditions.exists() and not untransformed(current).exists()
    assert not first.renditions.exists()
    wait_for(lambda: not any(default_storage.exists(name) for name in first_files), timeout=60,
             message="the old version's unblurred files to be deleted")

    before = timezone.now()
    restore_version(first.asset, first, actor=actor)  # re-made under the policy when it is current again
    settle(first, since=before)
    assert_faces_hidden(first, face)


def test_a_rejected_label_stays_rejected_and_reruns_add_nothing(ingested, settle, actor):
    version = ingested("chelsea")
    top = MachineLabel.objects.filter(version=version, model__capability=Capability.CLASSIFY).first().concept
    counts = MachineLabel.objects.filter(version=version).count(), Embedding.objects.filter(version=version).count()
    reject_label(version.asset, top, actor=actor)
    before = timezone.now()

    enrich_version.delay(version.pk)
    settle(version, since=before)

    assert top.name not in labels(version)
    assert (MachineLabel.objects.filter(version=version).count(), Embedding.objects.filter(version=version).count()) == counts
    assert all(job.attempts == 1 for job in EnrichmentJob.objects.filter(version=version))
