"""API-wide behaviour: every error is JSON ``{"error": code, "message": text}`` a person can read."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from assets.services.inspect import IngestError


def exception_handler(exc, context):
    if isinstance(exc, IngestError):
        return Response({"error": exc.code, "message": exc.message}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    field, problem = _first_problem(exc.detail)
    body = {
        "error": getattr(problem, "code", None) or exc.default_code,
        "message": f"{field}: {problem}" if field else str(problem),
    }
    if isinstance(exc.detail, (dict, list)):
        body["details"] = response.data
    response.data = body
    return response


def _first_problem(detail, field=None):
    """(field, ErrorDetail) of the first problem, so the message names what to fix: ``date_from: Enter…``."""
    if isinstance(detail, dict) and detail:
        name, nested = next(iter(detail.items()))
        return _first_problem(nested, None if name == "non_field_errors" else name)
    if isinstance(detail, list) and detail:
        return _first_problem(detail[0], field)
    return field, detail or "The request is not valid."
