"""The search document and the image hash follow assets, versions and OCR text as they change."""
import io

import pytest
from django.db import connection
from PIL import Image
from skimage import data

from assets.models import Asset
from assets.services.ingest import add_version, ingest_file
from assets.services.medical import preview_image
from enrichment.models import Capability, ModelRun, OcrText
from medical_samples import pydicom_file
from search.indexing import dhash, hash_bands, reindex_asset
from search.models import ImageHash, SearchDocument, SearchTerm

pytestmark = pytest.mark.django_db


def matches(asset, tsquery):
    with connection.cursor() as cursor:
        cursor.execute("SELECT document @@ to_tsquery('english', %s) FROM search_searchdocument WHERE asset_id = %s",
                       [tsquery, asset.pk])
        return cursor.fetchone()[0]


def test_ingest_indexes_title_with_the_highest_weight_and_scalar_columns(ingest):
    asset = ingest("chelsea", title="Chelsea the cat")
    document = SearchDocument.objects.get(asset=asset)
    assert (document.format, document.orientation, document.taken_at) == ("png", "landscape", None)
    assert matches(asset, "chelsea:A") and not matches(asset, "chelsea:D")
    assert SearchTerm.objects.filter(term="chelsea").exists()


def test_title_edits_reindex_and_status_saves_do_not(ingest, django_assert_num_queries):
    asset = ingest("chelsea")
    asset.title = "Sleepy tabby"
    asset.save()
    assert matches(asset, "sleepy:A")
    asset.status = Asset.Status.READY
    with django_assert_num_queries(1):
        asset.save(update_fields=["status"])


def test_ocr_text_of_the_current_version_is_indexed_and_removed_with_it(ingest):
    asset = ingest("page")
    run = ModelRun.objects.create(capability=Capability.OCR, name="rapidocr", version="test")
    text = OcrText.objects.create(version_id=asset.current_version_id, model=run, text="watershed segmentation")
    assert matches(asset, "watershed:D")
    document = SearchDocument.objects.get(asset=asset)
    assert document.ocr_text == "watershed segmentation"
    text.delete()
    assert not matches(asset, "watershed")


def test_inactive_ocr_models_are_not_indexed(ingest):
    asset = ingest("page")
    run = ModelRun.objects.create(capability=Capability.OCR, name="rapidocr", version="old", active=False)
    OcrText.objects.create(version_id=asset.current_version_id, model=run, text="watershed")
    assert not matches(asset, "watershed")


def test_a_new_version_reindexes_from_its_metadata(ingest, actor, jpeg):
    asset = ingest("chelsea")
    portrait = jpeg("astronaut", size=(300, 400))
    add_version(asset, portrait, filename="astronaut.jpg", actor=actor)
    document = SearchDocument.objects.get(asset=asset)
    assert (document.format, document.orientation) == ("jpeg", "portrait")


def test_reindex_of_an_asset_without_a_version_removes_its_document(ingest):
    asset = ingest("chelsea")
    Asset.objects.filter(pk=asset.pk).update(current_version=None)
    reindex_asset(asset.pk)
    assert not SearchDocument.objects.filter(asset_id=asset.pk).exists()


def test_dhash_survives_reencoding_and_resizing_but_not_another_picture(jpeg):
    chelsea = Image.fromarray(data.chelsea())
    original = dhash(chelsea)
    recompressed = dhash(Image.open(jpeg(chelsea, quality=40)))
    smaller = dhash(Image.open(jpeg(chelsea, size=(225, 150))))
    other = dhash(Image.fromarray(data.coffee()))

    def distance(a, b):
        return bin((a ^ b) & (2 ** 64 - 1)).count("1")

    assert distance(original, recompressed) <= 6 and distance(original, smaller) <= 6
    assert distance(original, other) > 20
    assert -(2 ** 63) <= original < 2 ** 63


def test_hash_bands_share_bytes_when_hashes_are_close():
    value = 0x0123456789ABCDEF
    close = value ^ 0b1011  # three bits differ, all in the lowest byte
    shared = set(hash_bands(value)) & set(hash_bands(close))
    assert len(hash_bands(value)) == 8 and len(shared) == 7


def test_ingest_stores_the_hash_of_each_version(ingest):
    asset = ingest("chelsea")
    stored = ImageHash.objects.get(version_id=asset.current_version_id)
    assert stored.dhash == dhash(Image.fromarray(data.chelsea()))
    assert stored.bands == hash_bands(stored.dhash)


def test_a_dicom_upload_is_indexed_and_hashed_through_its_preview(actor):
    data = pydicom_file("CT_small.dcm").read_bytes()  # its preamble is a TIFF header Pillow would misread
    asset = ingest_file(io.BytesIO(data), filename="CT_small.dcm", actor=actor).asset
    document = SearchDocument.objects.get(asset=asset)
    assert (document.format, document.orientation, document.taken_at.year) == ("dicom", "square", 2004)
    assert "RHAPSODE" in document.camera
    assert ImageHash.objects.get(version_id=asset.current_version_id).dhash == dhash(preview_image("dicom", data))
