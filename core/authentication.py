"""Failed sign-ins are no lever: after ``LUMEN_LOGIN_FAILURE_LIMIT`` failures from one address (wrong passwords on
the login form, the admin's and ``/api/token/``, and wrong API tokens) that address is refused for
``LUMEN_LOGIN_LOCKOUT_MINUTES`` before any password is hashed or token looked up.

django-axes counts the failures (in the shared cache) and its backend, first in ``AUTHENTICATION_BACKENDS``,
refuses locked-out addresses before Django's hashes a password (~0.3 s of CPU each with PBKDF2). Tokens are
not checked by Django's ``authenticate``, so ``LockoutTokenAuthentication`` counts and refuses them itself, and
the token endpoint (``core.api.ObtainAuthTokenView``) answers a locked-out address with 429 instead of "wrong
password". (No DRF views here: DRF imports authentication classes while it defines its views.)
"""
import logging

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.signals import user_login_failed
from django.utils.functional import SimpleLazyObject
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from core.middleware import refusal_response
from core.refusals import Refused
from core.sql import prepared

logger = logging.getLogger(__name__)


def locked_out():
    """The refusal a locked-out address gets, saying how long to wait."""
    seconds = int(get_cool_off().total_seconds())
    minutes = max(1, round(seconds / 60))
    return Refused(f"Too many failed sign-ins from your address. Try again in {minutes} minute"
                   f"{'s' if minutes != 1 else ''}.", "locked_out", 429, retry_after=seconds)


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the login form and the admin's answer a locked-out address with a page (429)."""
    return refusal_response(request, locked_out())


def address_allowed(request):
    """Whether the caller's address is not locked out; while the cache that counts failures (Redis) is away,
    nobody is, so API clients keep working through a broker restart."""
    try:
        return AxesProxyHandler.is_allowed(request)
    except (RedisError, OSError) as error:
        logger.warning("Sign-in lockout not checked: the cache is unreachable (%s)", error)
        return True


class LockoutTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, where a wrong token counts as a failed sign-in of the caller's address, and a
    locked-out address is refused (429) before its token is looked up."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if not address_allowed(request._request):
            raise locked_out()
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            user_login_failed.send(sender=type(self), credentials={}, request=request._request)
            raise

    def authenticate_credentials(self, key):
        """The token and its user, by a statement kept prepared (``core.sql.prepared``): every API call reads it."""
        with prepared():
            return super().authenticate_credentials(key)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, reading the signed-in user by a statement kept prepared (``core.sql.prepared``): every signed-in
    request reads its user by key."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _signed_in_user(request))


def _signed_in_user(request):
    with prepared():
        return auth_middleware.get_user(request)

