"""Re-encrypt every local media file under the newest key of LUMEN_ENCRYPTION_KEYS.

Rotation: put the new key first in LUMEN_ENCRYPTION_KEYS (keep the old ones after it), restart, run this
command, then drop the old keys. Files still in plaintext (written before encryption was on) are encrypted.
Each file is replaced atomically, so an interrupted run can simply be started again.
"""
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.storage import fernet_for, is_encrypted


class Command(BaseCommand):
    help = "Re-encrypt local media files with the current (first) key of LUMEN_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        if not settings.LUMEN_ENCRYPTION_KEYS:
            raise CommandError("LUMEN_ENCRYPTION_KEYS is empty: encryption at rest is off.")
        fernet = fernet_for(settings.LUMEN_ENCRYPTION_KEYS)
        counts = {"rotated": 0, "encrypted": 0}
        for path in sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()):
            data = path.read_bytes()
            counts["rotated" if is_encrypted(data) else "encrypted"] += 1
            _replace(path, fernet.rotate(data) if is_encrypted(data) else fernet.encrypt(data))
        self.stdout.write(f"{counts['rotated']} files re-encrypted, {counts['encrypted']} plaintext files encrypted.")


def _replace(path, data):
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".rotate-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temporary, path.stat().st_mode & 0o777)
    os.replace(temporary, path)
