"""What leaves the store when someone downloads a file: which bytes, under which name and type, with which ETag.

The asset pages, the API and governance's signed links all serve files through here, so they agree on the
file name, the content type, the caching and on what a file carries when it leaves: originals and renditions
alike carry the asset's current metadata (``assets.services.embedding``, with what receivers of
``assets.signals.embedded_properties`` add: the usage rights). The stored file is never changed, and those who
may change the asset can still download it untouched. Receivers of ``assets.signals.download_warnings`` warn
about (or refuse) downloads the usage rights do not cover.

Rendition URLs carry the version number and the canonical spec, and their content token (``?f=``) names
one file with one revision of its metadata, so a URL with a matching token may be cached for a year. Only
renditions that exist are served: a URL never starts a decode, so it can neither burn CPU nor fill storage,
nor bypass a transform (face blurring) that processing applies.
"""
import io
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import SuspiciousFileOperation
from django.shortcuts import get_object_or_404
from django.utils.text import get_valid_filename

from assets import permissions, signals
from assets.models import AssetVersion
from assets.renditions import RenditionError, RenditionSpec, on_request_specs
from assets.services import embedding, processing
from core import audit
from core.refusals import Refused

IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"  # originals (every download reaches the audit log), untokened rendition URLs
NO_STORE = "private, no-store"  # signed links: whoever holds one may fetch it, nothing keeps a copy
MAX_STEM = 150


@dataclass(frozen=True)
class Delivery:
    """A file ready to stream: ``open()`` gives a binary file object (the stored file, or a stamped copy)."""

    open: Callable
    filename: str
    content_type: str
    etag: str
    cache_control: str


def permitted_version(user, action, uid, number):
    """Version ``number`` of asset ``uid``: 404 for unknown and forbidden alike, so a URL does not reveal
    that an asset exists."""
    return get_object_or_404(
        AssetVersion.objects.select_related("asset"),
        asset__in=permissions.permitted_assets(user, action), asset__uid=permissions.uid_or_404(uid), number=number,
    )


def find_rendition(version, spec_text):
    """The rendition of ``version`` named by ``spec_text`` (any spelling of its spec): made already, or one of
    the on-request renditions, made now (``processing.make_on_request``); any other spec is a 404."""
    try:
        spec = RenditionSpec.parse(spec_text)
    except ValueError:
        raise Refused("No such rendition.", code="not_found", status=404)
    found = version.renditions.filter(spec=str(spec)).first()
    if found is not None:
        return found
    if spec not in on_request_specs():
        raise Refused("This preview has not been made yet.", code="not_found", status=404)
    try:
        return processing.make_on_request(version, spec)
    except RenditionError:
        raise Refused("This preview could not be made from the file.", code="not_found", status=404)
    except processing.FaceBlurUnavailable:
        raise Refused("This preview cannot be made now: its faces must be blurred and the face detector is "
                      "unavailable.", code="unavailable", status=503)


def download_warnings(asset, channel=None):
    """Sentences warning that the usage rights do not cover downloading ``asset`` for ``channel``; raises
    ``Refused`` where the receivers refuse such downloads."""
    return signals.answers(signals.download_warnings, asset=asset, channel=channel)


def _embedded(field, fields):
    """Opens ``field`` as served: with ``fields`` written in, for the formats that carry them."""
    def open_embedded():
        stored = _open(field)
        if fields is None:
            return stored
        with stored:
            return io.BytesIO(embedding.embed(stored.read(), fields))
    return open_embedded


def _fields(version, file_format):
    return embedding.fields_for(version.asset, version) if embedding.writes_into(file_format) else None


def original(version, *, cache_control=REVALIDATE, untouched=False):
    """The original as downloaded: the stored bytes carrying the asset's current metadata, and an ETag naming
    both; ``untouched``: exactly the stored bytes, whose SHA-256 the ETag is."""
    fields = None if untouched else _fields(version, version.format)
    etag = f'"{version.sha256}-m{fields.fingerprint}"' if fields else f'"{version.sha256}"'
    return Delivery(_embedded(version.file, fields), download_filename(version), version.mime_type,
                    etag, cache_control)


def rendition(found, *, token=None, cache_control=None):
    """A rendition file carrying the asset's current metadata; cached for good only when ``token`` (the URL's
    ``?f=``) names this very file and metadata revision."""
    spec = RenditionSpec.parse(found.spec)
    version = found.version
    if cache_control is None:
        cache_control = IMMUTABLE if token == found.token_for(version.asset) else REVALIDATE
    fields = _fields(version, spec.format)
    etag = found.token_for(version.asset) + (f"-m{fields.fingerprint}" if fields else "")
    return Delivery(_embedded(found.file, fields), download_filename(version, found),
                    spec.output.mime_type, f'"{etag}"', cache_control)


def record_download(version, *, actor, via=None, untouched=False, channel=None, warnings=()):
    """Every download of an original reaches the audit log (as the issuer, for a signed link), with what it was
    for and what the person was warned of."""
    details = {"via": via, "untouched": untouched or None, "channel": channel, "warnings": list(warnings) or None}
    details = {key: value for key, value in details.items() if value}
    audit.record(actor, "asset.download_original", asset=version.asset, obj=version, after=details or None)


def download_filename(version, found=None):
    """The uploader's name made safe for a header and a file system, with the extension of what is served:
    the original's real format, or the rendition's (``name-640w.webp``)."""
    name = PurePosixPath(version.original_filename.replace("\\", "/")).name
    suffix = f".{version.extension}"  # may be double, as in .nii.gz
    stem = (name[: -len(suffix)] if name.lower().endswith(suffix) else PurePosixPath(name).stem)[:MAX_STEM]
    try:
        stem = get_valid_filename(stem)
    except SuspiciousFileOperation:
        stem = f"{version.asset.uid}-v{version.number}"
    if found is None:
        return f"{stem}.{version.extension}"
    return f"{stem}-{found.width}w.{RenditionSpec.parse(found.spec).output.extension}"


def _open(field):
    """The stored file, opened for reading: a missing one is a 404, a store that does not answer a 503."""
    try:
        return field.open("rb")
    except FileNotFoundError:
        raise Refused("The file is missing from storage.", code="file_missing", status=404)
    except (OSError, BotoCoreError, ClientError):
        raise Refused("The file cannot be read from storage right now; try again in a moment.",
                      code="storage_unavailable", status=503)
