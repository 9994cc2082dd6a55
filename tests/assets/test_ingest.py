"""The ingest service over real sample files: every entry point relies on this behaviour."""
import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from support import SAMPLES

from assets.models import Asset, AssetVersion, AuditEntry, Collection
from assets.services.audit import SYSTEM, Actor
from assets.services.ingest import IngestError, add_version, ingest_file, restore_version
from governance.services.roles import grant_role

pytestmark = pytest.mark.django_db

SAMPLE_SUFFIXES = {".jpg", ".jpeg", ".heic", ".heif", ".tiff", ".tif"}


def sample_files():
    return sorted(p for p in SAMPLES.rglob("*") if p.suffix.lower() in SAMPLE_SUFFIXES) if SAMPLES.is_dir() else []


def ingest_path(path, actor, **kwargs):
    with Path(path).open("rb") as handle:
        return ingest_file(handle, filename=Path(path).name, actor=actor, **kwargs)


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: str(p).split("exif-samples/")[-1])
def test_every_shared_sample_ingests_or_is_refused_clearly(path, actor):
    try:
        result = ingest_path(path, actor)
    except IngestError as refused:
        assert "invalid" in str(path) or "corrupted" in path.name, f"valid sample refused: {refused.message}"
        assert refused.message and 400 <= refused.status < 500
        return
    version = result.version
    assert result.created and version.width > 0 and version.height > 0
    assert default_storage.exists(version.file.name)
    assert version.bytes == path.stat().st_size


def test_camera_metadata_is_kept(samples, actor):
    version = ingest_path(samples / "jpg" / "Canon_40D.jpg", actor).version
    assert version.metadata["camera_make"] == "Canon"
    assert version.metadata["camera_model"] == "Canon EOS 40D"
    assert version.raw_metadata["exif"]


def test_orientation_gives_displayed_size(samples, actor):
    upright = ingest_path(samples / "jpg" / "orientation" / "portrait_1.jpg", actor).version
    rotated = ingest_path(samples / "jpg" / "orientation" / "portrait_6.jpg", actor).version
    assert upright.height > upright.width
    assert (rotated.width, rotated.height) == (upright.width, upright.height)


def test_retried_upload_returns_the_same_asset(samples, actor):
    first = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor)
    again = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor)
    assert again.created is False
    assert again.asset.pk == first.asset.pk
    assert Asset.objects.count() == 1 and AssetVersion.objects.count() == 1


def test_the_same_bytes_asking_for_blurred_faces_are_refused_to_someone_who_may_not_change_the_asset(
        samples, actor, django_user_model):
    news = Collection.objects.create(name="News", slug="news")
    first = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor, collections=[news])
    viewer = django_user_model.objects.create_user("vic", "vic@example.com", "correct-horse-battery")
    grant_role(news, "viewer", actor=SYSTEM, user=viewer)

    with pytest.raises(IngestError) as refused:
        ingest_path(samples / "jpg" / "Nikon_D70.jpg", Actor(user=viewer), anonymise_faces=True)
    assert refused.value.status == 403 and "may not change" in refused.value.message
    assert not Asset.objects.get(pk=first.asset.pk).anonymise_faces
    assert ingest_path(samples / "jpg" / "Nikon_D70.jpg", Actor(user=viewer)).asset == first.asset  # no flag: found


def test_upload_writes_the_audit_log(samples, actor):
    result = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor)
    entry = AuditEntry.objects.get(action="asset.upload")
    assert entry.asset == result.asset and entry.actor == actor.user
    assert entry.after["sha256"] == result.version.sha256
    assert entry.ip_address == "127.0.0.1"


def test_refused_upload_leaves_nothing_behind(actor):
    with pytest.raises(IngestError):
        ingest_file(io.BytesIO(b"not an image"), filename="evil.jpg", actor=actor)
    assert not Asset.objects.exists() and not AuditEntry.objects.exists()


def test_versions_keep_history_and_restore(samples, actor):
    asset = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor).asset
    with (samples / "jpg" / "Pentax_K10D.jpg").open("rb") as handle:
        second = add_version(asset, handle, filename="Pentax_K10D.jpg", actor=actor, comment="better crop")
    asset.refresh_from_db()
    assert second.number == 2 and asset.current_version == second
    first = asset.versions.get(number=1)
    assert default_storage.exists(first.file.name)

    restore_version(asset, first, actor=actor)
    asset.refresh_from_db()
    assert asset.current_version == first
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
        "asset.upload", "asset.new_version", "asset.restore_version",
    ]


def test_identical_new_version_is_refused(samples, actor):
    asset = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor).asset
    with (samples / "jpg" / "Nikon_D70.jpg").open("rb") as handle, pytest.raises(IngestError) as refused:
        add_version(asset, handle, filename="again.jpg", actor=actor)
    assert refused.value.status == 409


def test_title_comes_from_metadata_or_filename(actor):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(buffer, "PNG")
    buffer.seek(0)
    asset = ingest_file(buffer, filename="summer_beach-day.png", actor=actor).asset
    assert asset.title == "summer beach day"


def test_import_folder_command(samples, user, capsys):
    call_command("import_folder", str(samples / "jpg" / "gps"), user=user.username, no_progress=True)
    assert Asset.objects.count() == 9
    assert "9 new assets" in capsys.readouterr().out
