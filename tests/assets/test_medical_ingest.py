"""DICOM and NIfTI end to end: the ingest service, the real worker's renditions, downloads, the page and the API."""
import io
import json
from datetime import date

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from assets.models import Asset, AssetVersion
from assets.renditions import default_specs
from assets.services.ingest import ingest_file
from core.audit import Actor
from core.storage import read_stored
from enrichment.models import Capability, EnrichmentJob
from enrichment.services.working_image import load_original
from governance.services.rights import set_rights
from medical_samples import (
    IDENTIFIERS,
    IDENTIFYING_VALUES,
    nibabel_file,
    pydicom_file,
    synthetic_dicom,
    synthetic_nifti,
)
from support import wait_for


def ingest(data, filename, actor):
    return ingest_file(io.BytesIO(data), filename=filename, actor=actor).asset


def non_square_dicom():
    """A 120-row, 100-column CT whose rows are 2 mm apart and columns 1 mm: a 100 × 240 mm picture."""
    hounsfield = np.add.outer(np.linspace(-1000, 1000, 120), np.linspace(-200, 200, 100))
    return synthetic_dicom((hounsfield + 1024).astype(np.uint16), RescaleIntercept=-1024, RescaleSlope=1,
                           WindowCenter=40, WindowWidth=800, PixelSpacing=[2, 1])


def stored_json(version):
    metadata, raw = AssetVersion.objects.filter(pk=version.pk).values_list("metadata", "raw_metadata").get()
    return json.dumps([metadata, raw])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make, filename, fmt, size", [
    (non_square_dicom, "IM000001", "dicom", (100, 240)),
    (lambda: nibabel_file("example4d.nii.gz").read_bytes(), "bold.nii.gz", "nifti", (128, 96)),
], ids=["dicom", "nifti"])
def test_the_worker_makes_renditions_of_the_preview(celery_worker, actor, make, filename, fmt, size):
    data = make()
    asset = ingest(data, filename, actor)
    done = wait_for(lambda: Asset.objects.exclude(status=Asset.Status.PROCESSING).filter(pk=asset.pk).first(),
                    timeout=180, message=f"processing of {filename}")
    assert (done.status, done.status_detail) == (Asset.Status.READY, "")
    assert done.title == filename.removesuffix(".nii.gz")
    version = done.current_version
    assert (version.format, (version.width, version.height)) == (fmt, size)
    renditions = list(version.renditions.all())
    assert {rendition.spec for rendition in renditions} == {str(spec) for spec in default_specs()}
    for rendition in renditions:
        image = Image.open(io.BytesIO(read_stored(default_storage, rendition.file.name)))
        assert image.size == (rendition.width, rendition.height)
        assert abs(image.width / image.height - size[0] / size[1]) < 0.02, rendition.spec
        assert np.asarray(image.convert("L"), dtype=float).std() > 10, f"{rendition.spec} is blank"
    assert read_stored(version.file.storage, version.file.name) == data, "the original is stored unchanged"
    finished = (EnrichmentJob.Status.DONE, EnrichmentJob.Status.SKIPPED, EnrichmentJob.Status.FAILED)
    ocr = wait_for(lambda: EnrichmentJob.objects.filter(version=version, capability=Capability.OCR,
                                                        status__in=finished).first(),
                   timeout=180, message=f"the OCR step on {filename}")
    assert ocr.status == EnrichmentJob.Status.SKIPPED and "can name the patient" in ocr.detail


@pytest.mark.django_db
def test_stored_metadata_has_no_patient_identifier(actor):
    version = ingest(synthetic_dicom(np.arange(64, dtype=np.uint16).reshape(8, 8),
                                     SeriesDescription="Follow-up Quixote"), "scan.dcm", actor).current_version
    stored = stored_json(version)
    for keyword in IDENTIFIERS:
        assert keyword not in stored, keyword
    for value in IDENTIFYING_VALUES:
        assert value not in stored, value
    assert version.metadata["medical"]["modality"] == "CT"
    assert version.metadata["medical"]["series_description"] == "Follow-up [removed]"


@pytest.mark.django_db
def test_the_asset_page_and_the_api_show_the_medical_facts_but_no_patient_identifier(client, actor, user):
    asset = ingest(synthetic_dicom(np.arange(64, dtype=np.uint16).reshape(8, 8),
                                   SeriesDescription="Follow-up Quixote"), "scan.dcm", actor)
    client.force_login(user)
    page = client.get(reverse("assets:detail", kwargs={"uid": asset.uid})).content.decode()
    for label in ("Modality", "Body part", "HEAD", "CT HEAD without contrast", "Follow-up [removed]", "Equipment",
                  "Phantom 3000", "the original file still contains them"):
        assert label in page, label
    api = APIClient()
    api.force_authenticate(user)
    served = api.get(reverse("api:asset-metadata", kwargs={"uid": asset.uid})).content.decode()
    assert "CT HEAD without contrast" in served
    for value in (*IDENTIFYING_VALUES, "Quixote", "Dulcinea"):
        assert value not in page and value not in served, value


@pytest.mark.django_db
@pytest.mark.parametrize("path, filename, expected_name, mime_type", [
    (lambda: pydicom_file("CT_small.dcm"), "CT_small.dcm", "CT_small.dcm", "application/dicom"),
    (lambda: nibabel_file("example4d.nii.gz"), "example4d.nii.gz", "example4d.nii.gz", "application/gzip"),
    (lambda: nibabel_file("anatomical.nii"), "anatomical", "anatomical.nii", "application/octet-stream"),
], ids=["dicom", "nii.gz", "nii"])
def test_the_original_downloads_byte_identical_even_with_rights_on_record(client, actor, user, path, filename,
                                                                         expected_name, mime_type):
    data = path().read_bytes()
    asset = ingest(data, filename, actor)
    set_rights(asset, actor=Actor(user), licence_type="rights_managed", holder="Radiology Dept",
               expires_on=date(2030, 1, 1))
    client.force_login(user)
    response = client.get(reverse("assets:original", kwargs={"uid": asset.uid, "number": 1}))
    assert response.status_code == 200 and response["Content-Type"] == mime_type
    assert f'filename="{expected_name}"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == data


@pytest.mark.django_db
def test_the_api_and_the_bulk_upload_accept_medical_files_by_their_bytes_whatever_their_name(client, user):
    api = APIClient()
    api.force_authenticate(user)
    dicom = pydicom_file("MR_small.dcm").read_bytes()
    created = api.post(reverse("api:asset-list"), {"file": SimpleUploadedFile("scan.jpg", dicom)}, format="multipart")
    assert created.status_code == 201, created.content
    assert created.json()["current_version"]["format"] == "dicom"

    client.force_login(user)
    nifti = synthetic_nifti(np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6), compressed=True)
    bulk = client.post(reverse("assets:upload_api"), {"file": SimpleUploadedFile("volume.png", nifti)},
                       HTTP_ACCEPT="application/json")
    assert bulk.status_code == 201 and bulk.json()["ok"], bulk.content
    assert Asset.objects.get(versions__format="nifti").current_version.extension == "nii.gz"

    refused = api.post(reverse("api:asset-list"), {"file": SimpleUploadedFile("junk.nii.gz", b"\x1f\x8b" + bytes(64))},
                       format="multipart")
    assert refused.status_code == 415 and "NIfTI" in refused.json()["message"]


@pytest.mark.django_db
def test_face_detection_on_the_original_sees_the_preview(actor):
    """Under the face policy models read the original; for DICOM that is its preview at the version's size."""
    version = ingest(non_square_dicom(), "scan.dcm", actor).current_version
    working = load_original(version)
    assert working.image.size == (version.width, version.height) == (100, 240)
    assert working.to_displayed((10, 10, 20, 20)) == [10, 10, 20, 20]
