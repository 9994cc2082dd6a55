"""The REST API against its own OpenAPI schema (``/api/schema/``), with schemathesis: generated requests to every
operation, as a signed-in admin with a few real assets, get no 5xx, and every response matches the schema."""
import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dam.wsgi import application

# The document /api/schema/ serves (the same generator), read once when the tests are collected.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


# No 5xx, and the status, content type, headers and body as documented. Not the checks that expect a refusal
# of any value outside the schema: a multipart form sends every field as text ("0" is a valid boolean there).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def token(admin_user, make_asset, make_collection):
    news = make_collection("News")
    for n in range(2):
        make_asset(admin_user, collections=[news], title=f"Pier {n}")
    return Token.objects.create(user=admin_user).key


@pytest.fixture
def app(db):
    """The WSGI handler, called in the test's transaction, which it must not close between requests (Django's
    test client disconnects the same receiver)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(max_examples=3, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
                     suppress_health_check=list(HealthCheck))
def test_every_operation_answers_without_a_server_error_and_as_its_schema_says(case, app, token):
    case.call_and_validate(app=app, headers={"Authorization": f"Token {token}"}, checks=CHECKS)


def test_the_schema_is_generated_without_a_warning(tmp_path):
    """A warning means a guessed type or two components with one name (the users' and the face people's
    serializers were both "Person" once, so clients read one's fields in the other's answers)."""
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yml"))
