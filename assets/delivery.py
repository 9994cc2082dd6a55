"""File responses: renditions and originals, only through the permission gate, cacheable and never sniffed;
downloads the usage rights do not cover are warned about (a page first, a header for the API) or refused.

Which bytes, name, type and ETag come from ``assets.services.delivery``; ``file_response`` turns them into
the response that the asset URLs here, the API and governance's signed links all send.
"""
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from assets.forms import DownloadForm
from assets.services import delivery
from core.audit import Actor
from core.middleware import refused_in_plain_text
from core.refusals import Refused


def file_response(request, delivered, *, as_attachment):
    """A 304 when the client's copy has ``delivered``'s ETag, else the file; with the ETag, the cache policy
    and ``nosniff`` either way (a file is never interpreted as a page)."""
    response = get_conditional_response(request, etag=delivered.etag) or FileResponse(
        delivered.open(), as_attachment=as_attachment, filename=delivered.filename,
        content_type=delivered.content_type,
    )
    response["ETag"] = delivered.etag
    response["Cache-Control"] = delivered.cache_control
    response["X-Content-Type-Options"] = "nosniff"
    return response


def serve_original(request, version, *, actor, via=None, cache_control=delivery.REVALIDATE, untouched=False,
                   channel=None, warnings=()):
    """Download ``version``'s original (carrying the asset's metadata unless ``untouched``), writing the download to
    the audit log unless it was a 304; ``warnings`` (from ``delivery.download_warnings``) go in a header too."""
    delivered = delivery.original(version, cache_control=cache_control, untouched=untouched)
    response = _warned(file_response(request, delivered, as_attachment=True), warnings)
    if response.status_code == 200:
        delivery.record_download(version, actor=actor, via=via, untouched=untouched, channel=channel,
                                 warnings=warnings)
    return response


def serve_rendition(request, found, *, as_attachment=False, cache_control=None, warnings=()):
    """A rendition file (see ``delivery.rendition`` for when it may be cached for good)."""
    delivered = delivery.rendition(found, token=request.GET.get("f"), cache_control=cache_control)
    return _warned(file_response(request, delivered, as_attachment=as_attachment), warnings)


def _warned(response, warnings):
    """API clients read what the rights do not cover in ``X-Rights-Warning`` (header text is Latin-1)."""
    if warnings:
        response[RIGHTS_WARNING_HEADER] = " ".join(warnings).encode("latin-1", "replace").decode("latin-1")
    return response


RIGHTS_WARNING_HEADER = "X-Rights-Warning"


def _warning_page(request, asset, warnings):
    """Before a download the rights do not cover: what they say, and a link that downloads anyway."""
    query = request.GET.copy()
    query["confirmed"] = "1"
    return render(request, "assets/download_warning.html", {
        "asset": asset, "warnings": warnings, "download_url": f"{request.path}?{query.urlencode()}",
    })


def _channel(request):
    form = DownloadForm(request.GET)
    if not form.is_valid():
        raise Refused(" ".join(error for errors in form.errors.values() for error in errors), code="invalid",
                      status=400)
    return form.cleaned_data["channel"] or None


@refused_in_plain_text
@login_required
@require_safe
def rendition(request, uid, number, spec):
    """Shown in pages as it is; with ``?download=1`` a download, which the usage rights may warn about first."""
    version = delivery.permitted_version(request.user, "view", uid, number)
    found = delivery.find_rendition(version, spec)
    if request.GET.get("download") != "1":
        return serve_rendition(request, found)
    warnings = delivery.download_warnings(version.asset, _channel(request))
    if warnings and request.GET.get("confirmed") != "1":
        return _warning_page(request, version.asset, warnings)
    return serve_rendition(request, found, as_attachment=True, warnings=warnings)


@refused_in_plain_text
@login_required
@require_safe
def original(request, uid, number):
    """The original with the asset's current metadata; ``?untouched=1`` the stored bytes, for those who may change
    the asset. Downloads the usage rights do not cover (for ``?channel=``) show a warning first."""
    untouched = request.GET.get("untouched") == "1"
    version = delivery.permitted_version(request.user, "change" if untouched else "download", uid, number)
    channel = _channel(request)
    warnings = delivery.download_warnings(version.asset, channel)
    if warnings and request.GET.get("confirmed") != "1":
        return _warning_page(request, version.asset, warnings)
    return serve_original(request, version, actor=Actor.from_request(request), untouched=untouched, channel=channel,
                          warnings=warnings)


def zip_response(archive):
    """A ZIP of originals (``assets.services.archive``), streamed as it is made; never kept by a cache."""
    response = StreamingHttpResponse(archive.chunks, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{archive.filename}"'
    response["Cache-Control"] = delivery.NO_STORE
    response["X-Content-Type-Options"] = "nosniff"
    return response
