"""API-wide behaviour: every error is JSON with a message a person can read."""
from rest_framework.views import exception_handler as drf_exception_handler

from assets.services.inspect import IngestError
from rest_framework.response import Response


def exception_handler(exc, context):
    if isinstance(exc, IngestError):
        return Response({"error": exc.code, "message": exc.message}, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        message = str(detail) if detail is not None else "The request is not valid."
        response.data = {"error": getattr(exc, "default_code", "error"), "message": message, "details": response.data}
    return response
