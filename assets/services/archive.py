"""Many originals in one ZIP, for a selection in the library or ``POST /api/assets/zip/``.

All or nothing: a ZIP that silently lacks some of the chosen images would mislead whoever opens it, so one asset
the person may not download refuses the whole request, saying how many. Each original is served as a single
download would be (stamped with its rights, ``assets.services.delivery``) and each download is written to the
audit log. The archive is streamed as it is written (stored, not deflated: images are compressed already), so
neither memory nor a temporary file grows with it.
"""
import time
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assets import permissions
from assets.models import Asset
from assets.services import delivery
from core.refusals import Refused

MAX_ASSETS = 500
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Archive:
    filename: str
    chunks: object  # an iterator of bytes
    count: int


def originals_zip(uids, *, actor):
    """The ZIP of the current originals of assets ``uids`` (in that order), or ``Refused`` saying why not."""
    uids = list(dict.fromkeys(str(uid) for uid in uids))
    if not uids:
        raise Refused("Choose at least one image to download.", code="nothing_chosen")
    if len(uids) > MAX_ASSETS:
        raise Refused(f"Download at most {MAX_ASSETS} images in one ZIP.", code="too_many")
    chosen = Asset.objects.filter(uid__in=[uid for uid in uids if permissions.is_uid(uid)])
    seen = {str(asset.uid): asset for asset in permissions.visible_assets(actor.user, chosen)
            .select_related("current_version__asset")}
    missing = len(uids) - len(seen)
    if missing:
        raise Refused(f"{_images(missing)} of the {len(uids)} chosen do not exist or are not shared with you; "
                      "nothing was packed.", code="not_found", status=404)
    allowed = set(permissions.permitted_assets(actor.user, "download", chosen).values_list("uid", flat=True))
    refused = len(seen) - len(allowed)
    if refused:
        raise Refused(f"You may not download {_images(refused)} of the {len(uids)} chosen; nothing was packed.",
                      code="permission_denied", status=403)
    versions = [seen[uid].current_version for uid in uids if seen[uid].current_version is not None]
    total = sum(version.bytes for version in versions)
    if total > settings.LUMEN_ZIP_MAX_BYTES:
        raise Refused(f"These originals add up to {total / 2**30:.1f} GiB, more than the "
                      f"{settings.LUMEN_ZIP_MAX_BYTES / 2**30:.1f} GiB one ZIP may hold; choose fewer images.",
                      code="too_large", status=413)
    with transaction.atomic():
        for version in versions:
            delivery.record_download(version, actor=actor, via="zip")
    deliveries = [delivery.original(version) for version in versions]
    return Archive(f"lumen-{len(versions)}-images-{timezone.localdate():%Y%m%d}.zip", stream_zip(deliveries),
                   len(versions))


def _images(count):
    return f"{count} image{'s' if count != 1 else ''}"


class _Sink:
    """Where ``zipfile`` writes: kept until the stream takes it (no ``seek``/``tell``, so ZIP data descriptors)."""

    def __init__(self):
        self.chunks = []

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream_zip(deliveries):
    """Yield the ZIP of ``deliveries`` (``delivery.Delivery``) a piece at a time; names are made unique."""
    sink, names = _Sink(), set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for delivered in deliveries:
            info = zipfile.ZipInfo(_unique(delivered.filename, names), date_time=time.localtime()[:6])
            with delivered.open() as source, archive.open(info, "w", force_zip64=True) as target:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    target.write(chunk)
                    yield from _written(sink)
            yield from _written(sink)
    yield from _written(sink)


def _written(sink):
    data = sink.take()
    if data:
        yield data


def _unique(name, taken):
    """``photo.jpg``, then ``photo-2.jpg``…: two uploads of the same name must not overwrite each other."""
    path = PurePosixPath(name)
    suffix = "".join(path.suffixes[-2:]) if name.endswith(".nii.gz") else path.suffix
    stem = name[: len(name) - len(suffix)] if suffix else name
    candidate, number = name, 2
    while candidate.lower() in taken:
        candidate, number = f"{stem}-{number}{suffix}", number + 1
    taken.add(candidate.lower())
    return candidate
