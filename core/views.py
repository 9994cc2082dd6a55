"""Endpoints for operators' machines (load balancers: health, anonymous; Prometheus: metrics, protected), and the
error pages people see."""
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import health, metrics
from core.api import NOTHING_HERE


@never_cache
@require_GET
def live(request):
    """The process answers; nothing else is asked, so a slow database never gets a healthy web process killed."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    """200 when every dependency answers, else 503; one entry per check either way."""
    is_ready, checks = health.readiness()
    return JsonResponse({"status": "ok" if is_ready else "unavailable", "checks": checks},
                        status=200 if is_ready else 503)


@never_cache
@require_GET
def scrape(request):
    proxied = bool(request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"))
    if not metrics.may_scrape(request.headers.get("Authorization"), request.META.get("REMOTE_ADDR"), proxied):
        response = HttpResponse(metrics.REFUSAL, status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)


# Error pages (dam/urls.py's handlers): in words, with the site's navigation; API paths get the API's JSON shape.

def _is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"error": "not_found", "message": NOTHING_HERE}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request, exception):
    """Signed-in people who may not open a page are told so (with the gate's sentence), never sent to log in."""
    reason = str(exception) if exception is not None else ""
    if _is_api(request):
        return JsonResponse({"error": "permission_denied", "message": reason or "You may not do this."}, status=403)
    return render(request, "403.html", {"reason": reason}, status=403)


def server_error(request):
    """Rendered without the request's context: whatever failed (the database, a template tag) must not fail
    this page too. The request id lets an operator find the logged error."""
    request_id = getattr(request, "request_id", "")
    if _is_api(request):
        return JsonResponse({"error": "server_error", "message": "Something went wrong on our side; try again.",
                             "request_id": request_id}, status=500)
    return HttpResponseServerError(loader.get_template("500.html").render({"request_id": request_id}))
