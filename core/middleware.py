"""Responses every page shares: the Content-Security-Policy header, and refusals turned into a page or a message."""
import secrets

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core.refusals import Refused


class ContentSecurityPolicyMiddleware:
    """Sends a Content-Security-Policy on every response (unless a view set its own): ``LUMEN_CSP_PATHS``'s policy
    for the paths it names (ReDoc's, which makes its own <style> elements), else ``LUMEN_CSP``. ``{nonce}`` in
    a policy is a fresh random value per request, also in ``request.csp_nonce`` for the ``nonce`` attribute of
    the few inline ``<script>``/``<style>`` elements a page may need."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        policy = next((policy for prefix, policy in settings.LUMEN_CSP_PATHS.items()
                       if request.path.startswith(prefix)), settings.LUMEN_CSP)
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy.replace("{nonce}", request.csp_nonce))
        return response


def refused_in_plain_text(view):
    """For views that answer with files (an ``<img>``, a download link): a refusal is a short text, not a page."""
    view.refused_in_plain_text = True
    return view


class RefusalMiddleware:
    """A service's refusal (``core.refusals.Refused``) reaching a page: a form posted from one of our pages goes
    back there with the message on top (as a successful post would go on); anything else gets an answer saying why
    (``refusal_response``). The API answers refusals itself (``core.api.exception_handler``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Refused):
            return None
        back = request.META.get("HTTP_REFERER", "")
        if request.method == "POST" and back and not exception.retry_after and not _wants_json(request) \
                and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                    require_https=request.is_secure()):
            messages.error(request, exception.message)
            return redirect(back)
        return refusal_response(request, exception)


def refusal_response(request, refusal):
    """A refusal with its status (and ``Retry-After`` when it has one): JSON ``{"ok", "error", "message"}`` for a
    script asking for JSON, a short text for file views, else a page saying why."""
    if _wants_json(request):
        response = JsonResponse({"ok": False, "error": refusal.code, "message": refusal.message},
                                status=refusal.status)
    elif getattr(getattr(request.resolver_match, "func", None), "refused_in_plain_text", False):
        response = HttpResponse(refusal.message, status=refusal.status, content_type="text/plain; charset=utf-8")
    else:
        response = render(request, "refused.html", {"refusal": refusal}, status=refusal.status)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


def _wants_json(request):
    return request.headers.get("Accept", "").startswith("application/json")
