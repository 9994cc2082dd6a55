"""Content-Security-Policy on every response: scripts only from our static files, nothing framed, no plugins."""
from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Sends ``settings.LUMEN_CSP`` (on in production, see settings) unless a view set its own or the path is exempt."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.LUMEN_CSP
        if policy and not request.path.startswith(tuple(settings.LUMEN_CSP_EXEMPT_PATHS)):
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
