"""Stored files: encryption at rest on local storage (ciphertext on disk, plaintext through open(), rotation
by command), and reads that tell a store that is away, or a file missing right now, apart as passing failures."""
import hashlib
import io
import socket

import pytest
from botocore.config import Config
from cryptography.fernet import Fernet, InvalidToken
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.urls import reverse
from storages.backends.s3 import S3Storage

from assets.services.ingest import ingest_file
from core.audit import Actor
from core.storage import EncryptedFileSystemStorage, SourceUnavailable, read_stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_the_default_local_storage_encrypts(make_user, make_asset, media, login):
    assert isinstance(default_storage, EncryptedFileSystemStorage)
    owner = make_user("owner")
    asset = make_asset(owner, fmt="PNG")
    version = asset.current_version
    on_disk = (media / version.file.name).read_bytes()
    assert on_disk.startswith(b"gAAAAA") and b"PNG" not in on_disk
    with default_storage.open(version.file.name) as handle:
        plaintext = handle.read()
    assert hashlib.sha256(plaintext).hexdigest() == version.sha256
    assert default_storage.size(version.file.name) == version.bytes
    untouched = reverse("assets:original", kwargs={"uid": asset.uid, "number": 1}) + "?untouched=1"
    response = login(owner).get(untouched)
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == version.sha256, "decrypted as stored"


def test_content_addressed_originals_are_still_shared_and_found(make_user, media, new_image):
    data = new_image("PNG")
    first = ingest_file(io.BytesIO(data), filename="a.png", actor=Actor(make_user("a"))).asset
    written = (media / first.current_version.file.name).read_bytes()
    second = ingest_file(io.BytesIO(data), filename="b.png", actor=Actor(make_user("b"))).asset
    assert second.pk != first.pk and second.current_version.file.name == first.current_version.file.name
    assert (media / first.current_version.file.name).read_bytes() == written, "an existing file is not rewritten"


def test_a_field_file_can_be_read_again_after_closing(make_user, make_asset, media):
    version = make_asset(make_user("owner")).current_version
    with version.file.open("rb") as handle:
        first = handle.read()
    with version.file.open("rb") as handle:
        assert handle.read() == first


def test_a_changed_file_is_refused_not_served(media):
    storage = EncryptedFileSystemStorage(keys=[Fernet.generate_key()], location=media)
    name = storage.save("x/secret.bin", ContentFile(b"secret bytes"))
    path = media / name
    token = bytearray(path.read_bytes())
    token[40] = ord("A") if token[40] != ord("A") else ord("B")
    path.write_bytes(bytes(token))
    with pytest.raises(InvalidToken):
        storage.open(name).read()


def test_rotation_re_encrypts_under_the_first_key_and_encrypts_leftover_plaintext(media, settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    name = EncryptedFileSystemStorage(keys=[old], location=media).save("a/b.bin", ContentFile(b"payload"))
    (media / "legacy.bin").write_bytes(b"written before encryption")
    assert EncryptedFileSystemStorage(keys=[old], location=media).open("legacy.bin").read() == b"written before encryption"
    settings.LUMEN_ENCRYPTION_KEYS = [new.decode(), old.decode()]
    out = io.StringIO()
    call_command("rotate_encryption", stdout=out)
    assert "1 files re-encrypted, 1 plaintext files encrypted" in out.getvalue()
    only_new = EncryptedFileSystemStorage(keys=[new], location=media)
    assert only_new.open(name).read() == b"payload"
    assert only_new.open("legacy.bin").read() == b"written before encryption"
    with pytest.raises(InvalidToken):
        EncryptedFileSystemStorage(keys=[old], location=media).open(name).read()


def test_opening_for_writing_encrypts_on_close(media):
    storage = EncryptedFileSystemStorage(keys=[Fernet.generate_key()], location=media)
    name = storage.save("w/file.bin", ContentFile(b"first"))
    with storage.open(name, "wb") as handle:
        handle.write(b"second")
    assert (media / name).read_bytes().startswith(b"gAAAAA")
    assert storage.open(name).read() == b"second"
    with pytest.raises(ValueError):
        storage.open(name, "ab")


def test_a_stored_file_is_read_whole_and_a_missing_one_may_come_back(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("renditions/a.jpg", ContentFile(b"\xff\xd8 bytes"))
    assert read_stored(storage, name) == b"\xff\xd8 bytes"
    with pytest.raises(SourceUnavailable, match="Could not read renditions/b.jpg from storage"):
        read_stored(storage, "renditions/b.jpg")


def test_an_s3_store_that_does_not_answer_is_a_passing_failure():
    with socket.socket() as probe:  # a port nothing listens on: the store is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    storage = S3Storage(bucket_name="lumen-media", endpoint_url=f"http://127.0.0.1:{port}", access_key="k",
                        secret_key="s", region_name="us-east-1",
                        client_config=Config(connect_timeout=1, retries={"max_attempts": 1}))
    with pytest.raises(SourceUnavailable, match="Could not connect"):
        read_stored(storage, "renditions/a.jpg")
