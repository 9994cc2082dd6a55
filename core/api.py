"""API-wide behaviour: every error is JSON ``{"error": code, "message": text}`` a person can read (a refusal may add
``expert_details``: what a decoder said, for the technically minded); API tokens are handed out under a budget and
the sign-in lockout."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.authentication import address_allowed, locked_out
from core.refusals import Refused
from core.throttling import retry_after, too_many_requests


class ErrorSerializer(serializers.Serializer):
    """Every API error has this shape (see ``exception_handler``)."""

    error = serializers.CharField(help_text="Stable machine code, e.g. too_large or not_found.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    details = serializers.JSONField(required=False, help_text="Per-field problems, for validation errors.")
    expert_details = serializers.CharField(required=False, help_text="What a decoder or model said, for the technically minded.")


NOTHING_HERE = "There is nothing at this address."


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: any operation may answer an error — bad input, not signed in, not
    allowed, not found, too large, throttled, a service away — always in the shape above, so each operation gets a
    ``default`` response saying so, and clients (and schemathesis) know every status the API can give."""
    default = {"description": "An error: a stable code and a message for a person.",
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in result["paths"].values():
        for operation in operations.values():
            operation["responses"].setdefault("default", default)
    return result


def exception_handler(exc, context):
    """DRF's handler, plus the refusals of services (``core.refusals.Refused``) with their own status, a database
    that is away as a 503, and Django's own exceptions as DRF's: a 404, a 403 that keeps the gate's sentence, a
    model validation error; a throttled request says in words when to come back (DRF adds ``Retry-After``)."""
    if isinstance(exc, Refused):
        body = {"error": exc.code, "message": exc.message}
        if exc.expert_details:
            body["expert_details"] = exc.expert_details
        return Response(body, status=exc.status, headers=exc.headers)
    if isinstance(exc, (OperationalError, InterfaceError)):  # the database restarting or away: it passes
        return Response({"error": "unavailable", "message": "The database is not answering; try again in a moment."},
                        status=503, headers={"Retry-After": "5"})
    if isinstance(exc, exceptions.Throttled):
        exc.wait = retry_after(exc.wait)
        exc.detail = exceptions.ErrorDetail(too_many_requests(exc.wait), exc.default_code)
    elif isinstance(exc, Http404) or (isinstance(exc, exceptions.NotFound)
                                      and exc.detail == exceptions.NotFound.default_detail):
        exc = exceptions.NotFound(NOTHING_HERE)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ModelValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
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


class ObtainAuthTokenView(ObtainAuthToken):
    """``POST /api/token/``: the ``login`` budget per address (core.throttling), and a locked-out address refused
    (429) before its password is hashed (core.authentication)."""

    throttle_classes = api_settings.DEFAULT_THROTTLE_CLASSES  # DRF's view has none
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        if not address_allowed(request._request):
            raise locked_out()
        return super().post(request, *args, **kwargs)
