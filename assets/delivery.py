"""File delivery: renditions and originals, only through the permission gate, cacheable and never sniffed.

Rendition URLs carry the version number and the canonical spec (``|`` percent-encoded), so they never
change meaning and browsers may keep them for a year. Only renditions that exist are served: a URL
never starts a decode, so it can neither burn CPU nor fill storage, nor bypass a transform (face
blurring) that processing applies; other specs are made by server code with ``get_rendition``.
"""
import io
from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpResponseNotFound
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_safe

from assets import permissions
from assets.models import AssetVersion
from assets.renditions import RenditionSpec
from assets.services import audit
from governance.services import rights

IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"  # originals (every download reaches the audit log), untokened rendition URLs


def _permitted_version(user, action, uid, number):
    """404 for unknown and forbidden alike, so a URL does not reveal that an asset exists."""
    return get_object_or_404(
        AssetVersion.objects.select_related("asset"),
        asset__in=permissions.permitted_assets(user, action), asset__uid=uid, number=number,
    )


def _with_headers(response, *, etag, cache_control):
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _open(field):
    try:
        return field.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.")


@login_required
@require_safe
def rendition(request, uid, number, spec):
    try:
        spec = RenditionSpec.parse(spec)
    except ValueError:
        raise Http404("No such rendition.")
    version = _permitted_version(request.user, "view", uid, number)
    found = version.renditions.filter(spec=str(spec)).first()
    if found is None:
        return HttpResponseNotFound("This preview has not been made yet.", content_type="text/plain; charset=utf-8")
    token = found.content_token
    etag = f'"{token}"'
    response = get_conditional_response(request, etag=etag) or FileResponse(
        _open(found.file), content_type=spec.output.mime_type
    )
    # Only a URL naming this very file may be cached for good; a bare or stale one is checked each time.
    return _with_headers(response, etag=etag, cache_control=IMMUTABLE if request.GET.get("f") == token else REVALIDATE)


@login_required
@require_safe
def original(request, uid, number):
    version = _permitted_version(request.user, "download", uid, number)
    etag = f'"{version.sha256}{rights.rights_fingerprint(version.asset)}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        with _open(version.file) as stored:
            data = rights.embed_rights(stored.read(), version.asset)  # a copy: the stored file stays as uploaded
        response = FileResponse(
            io.BytesIO(data), as_attachment=True, filename=download_filename(version),
            content_type=version.mime_type,
        )
        audit.record(audit.Actor.from_request(request), "asset.download_original", asset=version.asset, obj=version)
    return _with_headers(response, etag=etag, cache_control=REVALIDATE)


def download_filename(version):
    """The uploader's name made safe for a header and a file system, with the extension of the real format."""
    name = PurePosixPath(version.original_filename.replace("\\", "/")).name
    suffix = f".{version.extension}"  # may be double, as in .nii.gz
    stem = (name[: -len(suffix)] if name.lower().endswith(suffix) else PurePosixPath(name).stem)[:150]
    try:
        stem = get_valid_filename(stem)
    except SuspiciousFileOperation:
        stem = f"{version.asset.uid}-v{version.number}"
    return f"{stem}.{version.extension}"
