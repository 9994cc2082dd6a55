"""One refusal, answered by one handler per kind of client: JSON for the API, the form page or a page for browsers."""
import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import ResolverMatch
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.middleware import RefusalMiddleware, refused_in_plain_text
from core.refusals import Refused

pytestmark = pytest.mark.django_db


class Raising(APIView):
    """An endpoint whose service refuses with whatever the test gives it."""

    authentication_classes = permission_classes = ()
    exception = None

    def post(self, request):
        raise self.exception


@pytest.mark.parametrize("exception, status, body", [
    (Refused("This asset is under legal hold and cannot be deleted.", code="legal_hold", status=409), 409,
     {"error": "legal_hold", "message": "This asset is under legal hold and cannot be deleted."}),
    (Refused("This JPEG file cannot be read.", code="corrupt", expert_details="OSError: Truncated File Read"), 400,
     {"error": "corrupt", "message": "This JPEG file cannot be read.",
      "expert_details": "OSError: Truncated File Read"}),
    (PermissionDenied("You may not change this asset."), 403,
     {"error": "permission_denied", "message": "You may not change this asset."}),
    (ValidationError({"territories": ["“XX1” is not an ISO 3166 two-letter country code."]}), 400,
     {"error": "invalid", "message": "territories: “XX1” is not an ISO 3166 two-letter country code.",
      "details": {"territories": ["“XX1” is not an ISO 3166 two-letter country code."]}}),
    (OperationalError("connection to server failed"), 503,
     {"error": "unavailable", "message": "The database is not answering; try again in a moment."}),
])
def test_the_api_answers_refusals_and_django_errors_as_json(exception, status, body):
    response = Raising.as_view(exception=exception)(APIRequestFactory().post("/api/anything/"))
    assert response.status_code == status and response.data == body


def page_request(method="post", **headers):
    request = getattr(RequestFactory(), method)("/assets/x/trash/", **headers)
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    return request


REFUSAL = Refused("This asset is under legal hold and cannot be deleted.", code="legal_hold", status=409)


def test_a_form_posted_from_one_of_our_pages_goes_back_there_with_the_message():
    request = page_request(HTTP_REFERER="http://testserver/assets/x/")
    response = RefusalMiddleware(lambda r: None).process_exception(request, REFUSAL)
    assert response.status_code == 302 and response["Location"] == "http://testserver/assets/x/"
    assert [str(m) for m in get_messages(request)] == [REFUSAL.message]


@pytest.mark.parametrize("headers", [{}, {"HTTP_REFERER": "https://elsewhere.example/page"}])
def test_otherwise_a_page_says_why_with_the_refusals_status(headers, admin_user):
    request = page_request(**headers)
    request.user = admin_user
    response = RefusalMiddleware(lambda r: None).process_exception(request, REFUSAL)
    assert response.status_code == 409 and REFUSAL.message in response.content.decode()


def test_a_refusal_page_keeps_the_technical_details_in_a_closed_disclosure(admin_user):
    request = page_request()
    request.user = admin_user
    refusal = Refused("This JPEG file cannot be read.", code="corrupt", expert_details="OSError: broken data stream")
    page = RefusalMiddleware(lambda r: None).process_exception(request, refusal).content.decode()
    summary, details = page.index("<summary>Technical details</summary>"), page.index("OSError: broken data stream")
    assert page.index(refusal.message) < page.index('<details class="expert-details">') < summary < details


def test_other_exceptions_are_left_to_django():
    assert RefusalMiddleware(lambda r: None).process_exception(page_request(), ValueError("bug")) is None


def test_views_that_answer_with_files_are_refused_in_plain_text():
    request = page_request(method="get")
    request.resolver_match = ResolverMatch(refused_in_plain_text(lambda request: None), (), {})
    response = RefusalMiddleware(lambda r: None).process_exception(request, REFUSAL)
    assert response.status_code == 409 and response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == REFUSAL.message


def test_an_api_address_that_matches_no_route_is_a_json_404_and_a_page_address_a_page(admin_user, client):
    client.force_login(admin_user)
    api = client.get("/api/assets/not-a-uid/")
    assert api.status_code == 404 and api.json() == {"error": "not_found", "message": "There is nothing at this address."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
