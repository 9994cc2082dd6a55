"""The ingest service over real sample files: every entry point relies on this behaviour."""
import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import Image

from assets.models import Asset, AssetVersion, Collection, taken_at
from assets.renditions import default_specs
from assets.services.ingest import add_version, ingest_file, restore_version
from assets.services.processing import process_version
from core.audit import SYSTEM, Actor
from core.models import AuditEntry
from core.refusals import Refused
from governance.services.roles import grant_role
from mutations import assert_readable, mutated_uploads
from support import SAMPLES

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
    except Refused as refused:
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

    with pytest.raises(Refused) as refused:
        ingest_path(samples / "jpg" / "Nikon_D70.jpg", Actor(user=viewer), anonymise_faces=True)
    assert refused.value.status == 403 and "may not change" in refused.value.message
    assert not Asset.objects.get(pk=first.asset.pk).anonymise_faces
    assert ingest_path(samples / "jpg" / "Nikon_D70.jpg", Actor(user=viewer)).asset == first.asset  # no flag: found


def test_the_same_bytes_uploaded_into_a_collection_file_the_existing_asset_there_and_say_so(samples, actor):
    trip, cameras = (Collection.objects.create(name=name, slug=name.lower()) for name in ("Trip", "Cameras"))
    first = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor, collections=[trip])

    again = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor, collections=[trip, cameras])
    assert (again.created, again.asset, again.added_to, again.not_added_to) == (False, first.asset, [cameras], [])
    assert set(first.asset.collections.all()) == {trip, cameras}
    assert again.duplicate_message == f"This file was already in the library as “{first.asset}”; added it to “Cameras”."
    entry = AuditEntry.objects.get(action="asset.add_to_collection")
    assert (entry.asset, entry.actor, entry.after) == (first.asset, actor.user, {"collection": "cameras"})

    third = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor, collections=[cameras])
    assert third.added_to == [] and third.duplicate_message == f"This file was already in the library as “{first.asset}”."
    assert AuditEntry.objects.filter(action="asset.add_to_collection").count() == 1


def test_the_same_bytes_from_someone_who_may_not_change_the_asset_are_not_filed_and_they_are_told(
        samples, actor, django_user_model):
    news, mine = (Collection.objects.create(name=name, slug=name.lower()) for name in ("News", "Mine"))
    first = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor, collections=[news])
    viewer = django_user_model.objects.create_user("vic", "vic@example.com", "correct-horse-battery")
    grant_role(news, "viewer", actor=SYSTEM, user=viewer)
    grant_role(mine, "contributor", actor=SYSTEM, user=viewer)

    again = ingest_path(samples / "jpg" / "Nikon_D70.jpg", Actor(user=viewer), collections=[mine])
    assert (again.asset, again.added_to, again.not_added_to) == (first.asset, [], [mine])
    assert list(first.asset.collections.all()) == [news]
    assert "it is not yours to change, so it was not added to “Mine”: ask its owner or an editor." in \
        again.duplicate_message
    assert not AuditEntry.objects.filter(action="asset.add_to_collection").exists()


def test_upload_writes_the_audit_log(samples, actor):
    result = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor)
    entry = AuditEntry.objects.get(action="asset.upload")
    assert entry.asset == result.asset and entry.actor == actor.user
    assert entry.after["sha256"] == result.version.sha256
    assert entry.ip_address == "127.0.0.1"


def test_refused_upload_leaves_nothing_behind(actor):
    with pytest.raises(Refused):
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


def test_the_taken_time_follows_the_current_version(samples, actor):
    """``captured_at`` (what the "taken" orderings page by) is the current version's taken time, else the upload's."""
    asset = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor).asset
    first = asset.current_version
    with (samples / "jpg" / "xmp" / "BlueSquare.jpg").open("rb") as handle:  # no date taken
        add_version(asset, handle, filename="BlueSquare.jpg", actor=actor)
    asset.refresh_from_db()
    assert asset.captured_at == asset.created_at

    restore_version(asset, first, actor=actor)
    asset.refresh_from_db()
    assert asset.captured_at == taken_at(first.metadata) and asset.captured_at.year < asset.created_at.year


def test_identical_new_version_is_refused(samples, actor):
    asset = ingest_path(samples / "jpg" / "Nikon_D70.jpg", actor).asset
    with (samples / "jpg" / "Nikon_D70.jpg").open("rb") as handle, pytest.raises(Refused) as refused:
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


class Unreadable(io.BytesIO):
    """An upload whose size is known up front; reading it would be a mistake for an oversized one."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def read(self, *args):
        raise AssertionError("an oversized upload was read")


def test_an_oversized_upload_is_refused_with_its_real_size_before_it_is_read(actor, settings):
    settings.LUMEN_MAX_UPLOAD_BYTES = 200 * 1_048_576
    with pytest.raises(Refused) as refused:
        ingest_file(Unreadable(260 * 1_048_576), filename="huge.tif", actor=actor)
    assert refused.value.status == 413
    assert refused.value.message == "The file is 260 MB; the limit is 200 MB."


def test_an_oversized_file_on_disk_is_told_its_size(actor, settings, tmp_path):
    settings.LUMEN_MAX_UPLOAD_BYTES = 1_048_576
    path = tmp_path / "big.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(3 * 1_048_576))
    with pytest.raises(Refused, match=r"^The file is 3 MB; the limit is 1 MB\.$"):
        ingest_path(path, actor)


def test_an_iphone_heic_keeps_its_exif_orientation_and_displayed_size(samples, actor):
    """libheif turns the picture upright as it decodes (the file's rotation box), so the size is already the
    displayed one; the orientation the camera recorded (6) is still what the metadata says."""
    version = ingest_path(samples / "heic" / "mobile" / "iphone_13_pro_max.HEIC", actor).version
    assert (version.width, version.height) == (3024, 4032)
    assert version.metadata["orientation"] == 6
    process_version(version)
    largest = version.renditions.get(spec="width-1280|format-jpeg")
    assert (largest.width, largest.height) == (1280, 1707), "portrait, rotated once"


def test_mutated_files_are_refused_in_words_or_get_every_preview(actor):
    """Seeded damage to real and built files of every format, through ingest and the renditions task: each one
    is refused with a sentence a person can read, or accepted and given all its previews."""
    outcomes = {"refused": 0, "previewed": 0}
    for name, data in mutated_uploads(count=90, seed=16):
        try:
            version = ingest_file(io.BytesIO(data), filename=name, actor=actor).version
        except Refused as refused:
            assert_readable(refused, name)
            outcomes["refused"] += 1
            continue
        process_version(version)
        version.asset.refresh_from_db()
        assert version.asset.status == Asset.Status.READY, f"{name}: {version.asset.status_detail}"
        assert version.renditions.count() == len(default_specs()), name
        outcomes["previewed"] += 1
    assert min(outcomes.values()) >= 10, outcomes  # the mix exercises both sides



def _png(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def test_known_bytes_take_the_batchs_new_keywords_but_keep_their_rights_and_say_so(user):
    """A batch's keywords are added to an asset the library had, as its collections are (if the uploader may change
    it, audited); its usage rights are never replaced by an upload's."""
    from governance.models import UsageRights

    first = ingest_file(_png("olive"), filename="olive.png", actor=Actor(user), keywords=["first"]).asset
    again = ingest_file(_png("olive"), filename="again.png", actor=Actor(user), keywords=["First", "second"],
                        rights={"licence_type": "royalty_free", "holder": "Ada"})
    assert not again.created and again.asset == first
    assert Asset.objects.get(pk=first.pk).keywords == ["first", "second"]
    assert not UsageRights.objects.filter(asset=first).exists()
    assert (again.added_keywords, again.rights_kept) == (["second"], True)
    assert again.duplicate_message == (
        f"This file was already in the library as “{first}”; added the keywords “second”; its usage rights stay as "
        "they were recorded (this upload's were not applied).")
    edit = AuditEntry.objects.get(action="asset.edit_metadata", asset=first)
    assert edit.actor == user and edit.after["keywords"] == ["first", "second"]


def test_known_bytes_from_someone_who_may_not_change_them_keep_their_keywords(user, django_user_model):
    first = ingest_file(_png("olive"), filename="olive.png", actor=Actor(user), keywords=["first"]).asset
    news = Collection.objects.create(name="News", slug="news")
    first.collections.add(news)
    viewer = django_user_model.objects.create_user("vic", "vic@example.com", "correct-horse-battery")
    grant_role(news, "viewer", actor=SYSTEM, user=viewer)

    again = ingest_file(_png("olive"), filename="again.png", actor=Actor(viewer), keywords=["second"])
    assert (again.asset, again.added_keywords, again.keywords_not_added) == (first, [], ["second"])
    assert Asset.objects.get(pk=first.pk).keywords == ["first"]
    assert "it is not yours to change, so it was not given the keywords “second”: ask its owner or an editor." in \
        again.duplicate_message
    assert not AuditEntry.objects.filter(action="asset.edit_metadata").exists()


def test_keywords_join_the_files_own_and_rights_are_recorded_on_the_new_asset(user, samples):
    from governance.models import UsageRights

    with open(samples / "jpg" / "xmp" / "BlueSquare.jpg", "rb") as handle:
        result = ingest_file(handle, filename="blue.jpg", actor=Actor(user), keywords=["Batch 7", "batch 7"],
                             rights={"licence_type": "royalty_free", "holder": "Ada", "territories": ["de"]})
    asset = Asset.objects.get(pk=result.asset.pk)
    assert asset.keywords[-1] == "Batch 7" and len(asset.keywords) > 1, "the file's keywords, then the batch's"
    rights = UsageRights.objects.get(asset=asset)
    assert (rights.licence_type, rights.holder, rights.territories) == ("royalty_free", "Ada", ["DE"])
    assert AuditEntry.objects.filter(action="rights.set", asset=asset).exists()


def test_wrong_rights_refuse_the_upload_before_its_bytes_are_read(user):
    class Unread(io.BytesIO):
        def read(self, *args):
            raise AssertionError("read before the rights were checked")

    with pytest.raises(Refused, match="Usage rights: territories: “XX” is not an ISO 3166 two-letter country code") as refusal:
        ingest_file(Unread(), filename="x.png", actor=Actor(user), rights={"licence_type": "cc0", "territories": ["xx"]})
    assert refusal.value.code == "invalid_rights"
    with pytest.raises(Refused, match="licence type"):
        ingest_file(Unread(), filename="x.png", actor=Actor(user), rights={"holder": "No licence type"})
    assert not Asset.objects.exists()


def test_import_folder_sets_keywords_and_rights_once_for_the_whole_import(samples, user, tmp_path, capsys):
    from governance.models import UsageRights

    terms = tmp_path / "rights.json"
    terms.write_text('{"licence_type": "rights_managed", "holder": "Lumen", "channels": ["web"]}')
    call_command("import_folder", str(samples / "jpg" / "gps"), user=user.username, no_progress=True,
                 keyword=["gps walk"], rights=terms)
    assert Asset.objects.count() == UsageRights.objects.filter(holder="Lumen", channels=["web"]).count() == 9
    assert all("gps walk" in keywords for keywords in Asset.objects.values_list("keywords", flat=True))
    capsys.readouterr()
    call_command("import_folder", str(samples / "jpg" / "gps"), user=user.username, no_progress=True,
                 keyword=["second walk"], rights=terms)
    said = capsys.readouterr()
    assert "0 new assets, 9 already present" in said.out
    assert said.err.count("; added the keywords “second walk”; its usage rights stay as they were recorded") == 9
    assert all("second walk" in keywords for keywords in Asset.objects.values_list("keywords", flat=True))
    terms.write_text('{"licence_type": "no-such-licence"}')
    with pytest.raises(CommandError, match="Usage rights: licence type"):
        call_command("import_folder", str(samples / "jpg"), user=user.username, no_progress=True, rights=terms)
