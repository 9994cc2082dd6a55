"""Reading stored files with passing failures told apart, and encryption at rest for the local file storage
(S3 uses the store's server-side encryption instead).

Every file saved through the default storage (originals and renditions alike: a rendition shows as much
as its original) is a Fernet token on disk: AES-128-CBC with an HMAC-SHA256, authenticated, so a changed
file is refused rather than served. ``LUMEN_ENCRYPTION_KEYS`` lists keys newest first; MultiFernet
decrypts with any of them and ``manage.py rotate_encryption`` rewrites every file under the first.

Names, paths and ``exists()`` are untouched, so content-addressed originals keep working; ``path()``
points at ciphertext, so code must read through ``open()``. Files written before encryption was on
(they do not start like a Fernet token) are still read, until ``rotate_encryption`` encrypts them.
"""
import io

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

FERNET_PREFIX = b"gAAAAA"  # base64 of the version byte 0x80 and the timestamp's leading zero bytes


class SourceUnavailable(Exception):
    """The stored bytes could not be read now (disk, S3 or network); a retry may succeed."""


def read_stored(storage, name):
    """All bytes of ``name``. A file missing or unreadable right now is not bad input: an S3 store may be
    away or eventually consistent, a disk remounted, so callers retry on :class:`SourceUnavailable`."""
    try:
        with storage.open(name, "rb") as stored:
            return stored.read()
    except (OSError, BotoCoreError, ClientError) as exc:
        raise SourceUnavailable(f"Could not read {name} from storage: {exc}") from exc


def is_encrypted(data):
    return data.startswith(FERNET_PREFIX)


def fernet_for(keys):
    return MultiFernet([Fernet(key) for key in keys])


class DecryptedFile(File):
    """Plaintext in memory; re-opening after close decrypts again, as a reopened disk file would read again."""

    def __init__(self, storage, name):
        self._storage = storage
        super().__init__(io.BytesIO(storage.read_plaintext(name)), name)

    def open(self, mode=None):
        if self.closed:
            self.file = io.BytesIO(self._storage.read_plaintext(self.name))
        else:
            self.seek(0)
        return self


class EncryptingFile(File):
    """``open(name, "wb")``: plaintext is collected in memory and written encrypted when the file is closed."""

    def __init__(self, storage, name):
        self._storage = storage
        super().__init__(io.BytesIO(), name)

    def close(self):
        if not self.closed:
            self._storage.write_plaintext(self.name, self.file.getvalue())
        super().close()


@deconstructible
class EncryptedFileSystemStorage(FileSystemStorage):
    def __init__(self, keys=None, **kwargs):
        super().__init__(**kwargs)
        self._keys = keys

    @cached_property
    def fernet(self):
        return fernet_for(self._keys or settings.LUMEN_ENCRYPTION_KEYS)

    def _save(self, name, content):
        plaintext = b"".join(content.chunks())
        return super()._save(name, ContentFile(self.fernet.encrypt(plaintext)))

    def read_plaintext(self, name):
        with open(self.path(name), "rb") as handle:
            data = handle.read()
        return self.fernet.decrypt(data) if is_encrypted(data) else data

    def write_plaintext(self, name, data):
        with open(self.path(name), "wb") as handle:
            handle.write(self.fernet.encrypt(data))

    def _open(self, name, mode="rb"):
        if "a" in mode or "+" in mode:
            raise ValueError("Encrypted files cannot be appended to or updated in place; write them whole.")
        return EncryptingFile(self, name) if "w" in mode else DecryptedFile(self, name)

    def size(self, name):
        return len(self.read_plaintext(name))
