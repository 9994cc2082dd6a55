"""The API's orjson writer gives DRF's document, byte for byte, for what the API's serializers hand it; JSON that
Postgres wrote goes in as it is."""
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail

from core.renderers import JSONRenderer, RawJSON

DOCUMENT = {
    "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "created_at": datetime(2026, 12, 6, 23, 7, 50, 123456, tzinfo=UTC),
    "taken_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
    "day": date(2026, 12, 6),
    "price": Decimal("12.50"),
    "message": gettext_lazy("This field is required."),
    "errors": {"title": [ErrorDetail("Too long.", code="max_length")]},
    "caption": "Ünïcode, “quotes”, a line\u2028separator and a paragraph\u2029separator",
    "counts": [0, -1, 2 ** 53, 0.5, True, None],
    "empty": {},
}


def drf(data, media_type="application/json"):
    return renderers.JSONRenderer().render(data, media_type)


def test_the_same_bytes_as_drf():
    assert JSONRenderer().render(DOCUMENT, "application/json") == drf(DOCUMENT)


def test_indented_output_and_nothing_are_drfs():
    assert JSONRenderer().render(DOCUMENT, "application/json; indent=2") == drf(DOCUMENT, "application/json; indent=2")
    assert JSONRenderer().render(None) == b""


def test_the_api_answers_through_it(client, user):
    client.force_login(user)
    response = client.get("/api/assets/")
    assert response.status_code == 200 and response.json()["results"] == []
    assert response.content.startswith(b'{"count":0,')


def test_json_written_already_is_placed_as_it_is_and_indented_output_parses_it():
    written = '{"uid" : "12345678-1234-5678-1234-567812345678", "caption" : "a line\u2028separator"}'
    page = {"count": 1, "results": [RawJSON(written)]}
    compact = JSONRenderer().render(page)
    assert compact == b'{"count":1,"results":[' + written.replace("\u2028", "\\u2028").encode() + b"]}"
    indented = JSONRenderer().render(page, "application/json; indent=2")
    assert json.loads(indented) == json.loads(compact) == {"count": 1, "results": [json.loads(written)]}
