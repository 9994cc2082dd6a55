"""Every response carries a request id: the caller's when it is sane, else a new one."""
import pytest

pytestmark = pytest.mark.django_db


def test_a_request_without_an_id_gets_a_new_one_each_time(client):
    first, second = client.get("/health/live")["X-Request-ID"], client.get("/health/live")["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_a_sane_incoming_id_is_kept(client):
    assert client.get("/login/", HTTP_X_REQUEST_ID="lb-7f3a:42.b_c")["X-Request-ID"] == "lb-7f3a:42.b_c"


@pytest.mark.parametrize("incoming", ["has spaces", "x" * 129, "line\nbreak", "<script>", "-starts-with-dash", "ü"])
def test_an_insane_incoming_id_is_replaced(client, incoming):
    returned = client.get("/health/live", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert returned != incoming and len(returned) == 32


def test_refusals_and_missing_pages_carry_it_too(client):
    assert client.get("/no/such/page/", HTTP_X_REQUEST_ID="abc-404")["X-Request-ID"] == "abc-404"
