"""Direct-to-S3 uploads against a real SeaweedFS: presigned POST policy, confirmation, and every refusal."""
import hashlib
import threading
import time
from datetime import timedelta

import pytest
import urllib3
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from assets.models import Asset
from core.audit import Actor
from core.models import AuditEntry
from core.refusals import Refused
from governance.models import DirectUpload
from governance.services.uploads import confirm_upload, purge_abandoned_uploads
from medical_samples import pydicom_file

pytestmark = pytest.mark.django_db


def send(ticket_body, data, *, content_type=None, tamper=False):
    """POST the file to the store exactly as a browser form would, the file last."""
    post = ticket_body["post"]
    fields = dict(post["fields"])
    if content_type:
        fields["Content-Type"] = content_type
    if tamper:
        fields["x-amz-signature"] = "0" * 64
    return urllib3.request("POST", post["url"], fields={**fields, "file": ("upload.bin", data)})


def presign(client, **body):
    response = client.post(reverse("governance-api:uploads"), {"content_type": "image/png", **body},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    """POST the confirmation, running what the view defers to commit (removing the incoming object)."""
    def post(client, ticket_body, data, sha256=None):
        url = reverse("governance-api:upload-confirm", kwargs={"uid": ticket_body["uid"]})
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, {"sha256": sha256 or hashlib.sha256(data).hexdigest()},
                               content_type="application/json")
    return post


def incoming_keys(s3):
    return [item["Key"] for item in s3["client"].list_objects_v2(Bucket=s3["bucket"]).get("Contents", [])]


def test_presigned_upload_then_confirm_creates_the_asset_and_clears_incoming(s3_uploads, make_user,
                                                                             make_collection, login, new_image, confirm):
    owner = make_user("owner")
    news = make_collection("News", owner="contributor")
    client = login(owner)
    ticket = presign(client, filename="pier.png", title="Pier", collections=["news"])
    assert ticket["key"] == f"incoming/{ticket['uid']}" and ticket["post"]["fields"]["key"] == ticket["key"]
    data = new_image("PNG")
    assert send(ticket, data).status == 204
    assert not Asset.objects.exists(), "nothing exists before the server has verified the bytes"
    response = confirm(client, ticket, data)
    assert response.status_code == 201, response.content
    asset = Asset.objects.get(uid=response.json()["uid"])
    assert asset.title == "Pier" and list(asset.collections.all()) == [news]
    assert asset.current_version.sha256 == hashlib.sha256(data).hexdigest()
    assert ticket["key"] not in incoming_keys(s3_uploads)
    assert DirectUpload.objects.get(uid=ticket["uid"]).state == "done"
    assert {"upload.presign", "asset.upload", "upload.confirm"} <= set(AuditEntry.objects.values_list("action", flat=True))
    again = confirm(client, ticket, data)
    assert again.status_code == 409 and again.json()["error"] == "not_waiting"
    assert response.json()["duplicate"] is False and response.json()["message"] == ""

    make_collection("Archive", owner="contributor")
    twin_ticket = presign(client, filename="pier-again.png", collections=["archive"])
    assert send(twin_ticket, data).status == 204
    twin = confirm(client, twin_ticket, data)
    assert twin.status_code == 200 and twin.json()["uid"] == str(asset.uid) and twin.json()["duplicate"] is True
    assert twin.json()["message"] == "This file was already in the library as “Pier”; added it to “Archive”."
    assert DirectUpload.objects.get(uid=twin_ticket["uid"]).detail == twin.json()["message"]


def test_the_store_refuses_an_expired_policy_a_tampered_signature_a_wrong_type_and_an_oversized_file(
        s3_uploads, make_user, login, settings, new_image):
    client = login(make_user("owner"))
    data = new_image("PNG")
    ticket = presign(client)
    assert send(ticket, data, tamper=True).status == 403
    refused = send(ticket, data, content_type="text/html")
    assert refused.status == 403 and b"Policy" in refused.data
    settings.LUMEN_MAX_UPLOAD_BYTES = 64
    assert send(presign(client), data).status == 400
    settings.LUMEN_MAX_UPLOAD_BYTES = 10**6
    settings.S3_UPLOAD_TTL = 1
    short = presign(client)
    time.sleep(2.5)
    expired = send(short, data)
    assert expired.status == 403 and b"expired" in expired.data
    assert incoming_keys(s3_uploads) == []


def test_an_object_past_the_limit_is_refused_at_confirmation_with_its_real_size(s3_uploads, make_user, login,
                                                                                settings, new_image, confirm):
    """The limit was lowered after the ticket was signed: the store's length of the object, known before it is read,
    is the size the refusal gives."""
    client = login(make_user("owner"))
    data = new_image("PNG")
    ticket = presign(client)
    assert send(ticket, data).status == 204
    settings.LUMEN_MAX_UPLOAD_BYTES = 64
    assert len(data) > 64
    refused = confirm(client, ticket, data)
    assert refused.status_code == 413
    assert refused.json()["message"] == f"The file is {len(data)} bytes; the limit is 64 bytes."
    assert DirectUpload.objects.get(uid=ticket["uid"]).state == "failed" and not Asset.objects.exists()


def test_a_wrong_checksum_or_a_non_image_creates_nothing(s3_uploads, make_user, login, new_image, confirm):
    client = login(make_user("owner"))
    data = new_image("PNG")
    ticket = presign(client)
    send(ticket, data)
    mismatch = confirm(client, ticket, data, sha256="0" * 64)
    assert mismatch.status_code == 422 and mismatch.json()["error"] == "checksum_mismatch"
    assert not Asset.objects.exists() and incoming_keys(s3_uploads) == []
    assert DirectUpload.objects.get(uid=ticket["uid"]).state == "failed"

    fake = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    ticket = presign(client, content_type="image/svg+xml")
    assert send(ticket, fake).status == 204
    refused = confirm(client, ticket, fake)
    assert refused.status_code == 415 and "SVG" in refused.json()["message"]
    assert not Asset.objects.exists() and incoming_keys(s3_uploads) == []


def test_a_dicom_file_comes_through_a_direct_upload_under_its_own_content_type(s3_uploads, make_user, login,
                                                                              confirm):
    client = login(make_user("owner"))
    data = pydicom_file("CT_small.dcm").read_bytes()
    ticket = presign(client, content_type="application/dicom", filename="CT_small.dcm")
    assert send(ticket, data, content_type="image/png").status == 403, "the policy holds the type that was asked for"
    assert send(ticket, data).status == 204
    response = confirm(client, ticket, data)
    assert response.status_code == 201, response.content
    assert Asset.objects.get(uid=response.json()["uid"]).current_version.format == "dicom"
    assert incoming_keys(s3_uploads) == []


def test_confirm_before_the_upload_and_confirming_someone_elses_ticket(s3_uploads, make_user, login, client,
                                                                       confirm):
    owner = make_user("owner")
    login(owner)
    ticket = presign(client)
    early = confirm(client, ticket, b"")
    assert early.status_code == 409 and early.json()["error"] == "not_uploaded"
    client.logout()
    login(make_user("mallory"))
    assert confirm(client, ticket, b"").status_code == 404


def test_presign_checks_the_collection_role_and_the_configuration(s3_uploads, make_user, make_collection, login,
                                                                   settings):
    viewer = make_user("viewer")
    make_collection("News", viewer="viewer")
    client = login(viewer)
    denied = client.post(reverse("governance-api:uploads"), {"content_type": "image/png", "collections": ["news"]},
                         content_type="application/json")
    assert denied.status_code == 403
    not_image = client.post(reverse("governance-api:uploads"), {"content_type": "text/html"},
                            content_type="application/json")
    assert not_image.status_code == 400
    settings.S3_UPLOAD_BUCKET = ""
    off = client.post(reverse("governance-api:uploads"), {"content_type": "image/png"}, content_type="application/json")
    assert off.status_code == 409 and off.json()["error"] == "not_configured"


@pytest.fixture
def emptied_afterwards(s3_uploads):
    """The bucket is shared by the session: leave it empty for the tests that count its keys."""
    yield s3_uploads
    for key in incoming_keys(s3_uploads):
        s3_uploads["client"].delete_object(Bucket=s3_uploads["bucket"], Key=key)


def test_abandoned_uploads_past_the_cutoff_go_fresh_ones_and_confirmed_assets_stay(
        emptied_afterwards, make_user, login, new_image, confirm, settings):
    s3, bucket = emptied_afterwards["client"], emptied_afterwards["bucket"]
    client = login(make_user("owner"))
    abandoned, never_sent, confirmed = presign(client), presign(client), presign(client)
    send(abandoned, new_image("PNG"))
    data = new_image("PNG")
    send(confirmed, data)
    asset_uid = confirm(client, confirmed, data).json()["uid"]
    s3.put_object(Bucket=bucket, Key="incoming/from-a-lost-ticket", Body=b"lost")
    s3.put_object(Bucket=bucket, Key="elsewhere/not-an-upload", Body=b"kept")
    time.sleep(1.1)  # S3 times have whole seconds: put the cutoff a second clear of both sides
    cutoff = timezone.now()
    time.sleep(1.1)
    fresh = presign(client)
    send(fresh, new_image("PNG"))
    settings.LUMEN_INCOMING_UPLOAD_MAX_AGE_HOURS = 6
    late = DirectUpload.objects.get(uid=abandoned["uid"])

    assert purge_abandoned_uploads(now=cutoff + timedelta(hours=6)) == {"objects": 2, "tickets": 2}
    with pytest.raises(Refused, match="start it again") as refused:  # a confirmation racing the purge
        confirm_upload(late, actor=Actor(late.user), sha256="0" * 64)
    assert refused.value.status == 410
    assert sorted(incoming_keys(emptied_afterwards)) == ["elsewhere/not-an-upload", fresh["key"]]
    assert sorted(DirectUpload.objects.values_list("state", flat=True)) == ["done", "waiting"]
    assert not DirectUpload.objects.filter(uid__in=[abandoned["uid"], never_sent["uid"]]).exists()
    asset = Asset.objects.get(uid=asset_uid)
    assert client.get(reverse("assets:original", kwargs={"uid": asset.uid, "number": 1})).status_code == 200
    entry = AuditEntry.objects.get(action="upload.purge_abandoned")
    assert entry.actor is None and entry.after["objects"] == 2 and entry.after["tickets"] == 2

    assert purge_abandoned_uploads(now=cutoff + timedelta(hours=6)) == {"objects": 0, "tickets": 0}
    assert AuditEntry.objects.filter(action="upload.purge_abandoned").count() == 2, "one entry per run"


@pytest.mark.django_db(transaction=True)
def test_an_upload_being_confirmed_keeps_its_object_and_ticket(emptied_afterwards, make_user, login, new_image,
                                                               settings):
    from governance.tasks import purge_abandoned_uploads as purge_task

    client = login(make_user("owner"))
    ticket = presign(client)
    send(ticket, new_image("PNG"))
    time.sleep(1.1)
    settings.LUMEN_INCOMING_UPLOAD_MAX_AGE_HOURS = 0
    locked, release = threading.Event(), threading.Event()

    def confirming():
        """What ``confirm_upload`` holds while it fetches and ingests: the ticket's row lock."""
        with transaction.atomic():
            DirectUpload.objects.select_for_update().get(uid=ticket["uid"])
            locked.set()
            release.wait(30)
        connection.close()

    confirmation = threading.Thread(target=confirming)
    confirmation.start()
    try:
        assert locked.wait(30)
        assert purge_task.apply().get() == {"objects": 0, "tickets": 0}
    finally:
        release.set()
        confirmation.join()
    assert incoming_keys(emptied_afterwards) == [ticket["key"]]
    assert purge_task.apply().get() == {"objects": 1, "tickets": 1}, "once the lock is gone, so is the upload"


def test_the_job_runs_daily_and_skips_a_server_without_direct_uploads(settings):
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["governance.tasks.purge_abandoned_uploads"].hour == {4}
    settings.S3_UPLOAD_BUCKET = ""
    assert purge_abandoned_uploads() == {"objects": 0, "tickets": 0}
    assert not AuditEntry.objects.filter(action="upload.purge_abandoned").exists()
