"""Log lines as JSON or text, with the request id of the work they belong to and the fields of events."""
import io
import json
import logging

import pytest

from core.logs import ContextFilter, JsonFormatter, TextFormatter


@pytest.fixture
def captured():
    """The root logger writes through a handler configured as settings.LOGGING configures the console."""
    def capture(formatter):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.addFilter(ContextFilter())
        root = logging.getLogger()
        root.addHandler(handler)
        handlers.append((root, handler))
        return stream
    handlers = []
    yield capture
    for root, handler in handlers:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_writes_one_json_access_line_with_its_id_and_route(client, user, captured):
    stream = captured(JsonFormatter())
    client.force_login(user)
    client.get("/api/assets/", HTTP_X_REQUEST_ID="trace-me-1")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line.get("event") == "request"]
    assert access == [{**access[0], "level": "INFO", "logger": "core.metrics", "method": "GET",
                       "route": "api/assets/", "status": 200, "request_id": "trace-me-1"}]
    assert access[0]["ms"] >= 0 and access[0]["time"].endswith("+00:00")
    assert "api/assets/" in access[0]["message"]


def test_a_json_line_carries_extra_fields_and_the_exception(captured):
    stream = captured(JsonFormatter())
    try:
        raise ValueError("bad pixels")
    except ValueError:
        logging.getLogger("enrichment.services.jobs").exception("inference failed", extra={"event": "inference",
                                                                                           "model": "m", "ms": 3.5})
    line = json.loads(stream.getvalue())
    assert (line["level"], line["logger"], line["message"]) == ("ERROR", "enrichment.services.jobs", "inference failed")
    assert (line["event"], line["model"], line["ms"]) == ("inference", "m", 3.5)
    assert "ValueError: bad pixels" in line["exc_info"]
    assert "request_id" not in line  # no request: no id


def test_a_text_line_reads_in_a_terminal_with_fields_as_key_value(captured):
    from core import request_id

    stream = captured(TextFormatter())
    token = request_id.current.set("abc123")
    try:
        logging.getLogger("core.metrics").warning("GET metrics 200", extra={"route": "metrics", "ms": 1.5})
    finally:
        request_id.current.reset(token)
    text = stream.getvalue().strip()
    assert " WARNING core.metrics: GET metrics 200" in text
    assert text.endswith("route=metrics ms=1.5 request_id=abc123")
