"""Request budgets: who may send how many requests, kept in the shared cache (Redis) so every web process counts
the same requests.

Budgets (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, from ``LUMEN_THROTTLE_*``): ``anon`` per address,
``user`` per signed-in user (browser session), ``token`` per API token; and stricter scopes a view opts into with
``throttle_scope`` — ``upload``, ``search`` and ``login`` (token creation) — counted per user, or per address
before sign-in. A rate of ``None`` (``off`` in the environment) switches a budget off. Pages that are not DRF
views take the same scopes with ``@throttled(scope)``; over budget they are refused with 429 and
``Retry-After``.
"""
import logging
import math
from functools import wraps
from types import SimpleNamespace

from redis.exceptions import RedisError
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from core.refusals import Refused


def client_ip(request):
    """The caller's address: ``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry the proxies in front of us
    (``LUMEN_PROXY_COUNT``, DRF's ``NUM_PROXIES``) vouch for. Throttles and the login lockout both use it."""
    return BaseThrottle().get_ident(request)


def too_many_requests(wait):
    """The sentence every 429 carries, with the wait rounded up to whole seconds."""
    seconds = retry_after(wait)
    return f"Too many requests. Try again in {seconds} second{'s' if seconds != 1 else ''}."


def retry_after(wait):
    return max(1, math.ceil(wait or 1))


logger = logging.getLogger(__name__)


class RateFromSettings(SimpleRateThrottle):
    """Reads its rate when used, not when imported (DRF copies the rates into the class once), and identifies
    the caller by ``client_ip``. While the cache (Redis) is away the budget cannot be counted, so requests pass:
    an upload accepted during a broker restart beats a 500 (the sweep queues its processing later)."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            logger.warning("Request budget %s not counted: the cache is unreachable (%s)", self.scope, error)
            return True

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request)


def _token_authenticated(request):
    return isinstance(getattr(request, "auth", None), Token)


class AnonThrottle(RateFromSettings):
    """Requests without a user, per address."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserThrottle(RateFromSettings):
    """Requests of a signed-in browser session, per user (token clients have their own budget)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated) or _token_authenticated(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenThrottle(RateFromSettings):
    """Requests authenticated by an API token, per token (keyed by its owner: one token per user)."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not _token_authenticated(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.user_id}


class ScopedThrottle(RateFromSettings):
    """The stricter budget a view names in ``throttle_scope`` (uploads, searches, token creation), per user, or
    per address before sign-in; views without one are not counted."""

    def __init__(self):
        self.rate = None  # known once the view is: allow_request sets it

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = f"user-{user.pk}" if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def throttled(scope, methods=None):
    """For pages and JSON views outside DRF: requests (those of ``methods``, else all) spend the ``scope`` budget
    of ``ScopedThrottle``; over it, a 429 refusal (a page for a form, JSON for a script) with ``Retry-After``."""
    def decorate(view):
        @wraps(view)
        def throttled_view(request, *args, **kwargs):
            throttle = ScopedThrottle()
            counted = methods is None or request.method in methods
            if counted and not throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
                wait = throttle.wait()
                raise Refused(too_many_requests(wait), "throttled", 429, retry_after=retry_after(wait))
            return view(request, *args, **kwargs)
        return throttled_view
    return decorate
