"""Direct-to-S3 uploads: the client gets a presigned POST for ``incoming/<uuid>`` in the upload bucket, sends
the bytes there, then confirms with their SHA-256. Only after the server has fetched the object and checked
size, checksum and type (``ingest_file`` → ``inspect_image``) does an asset exist; the incoming object goes.
Uploads never confirmed are removed by the daily ``purge_abandoned_uploads``."""
import hashlib
import io
from datetime import timedelta

import boto3
from botocore.client import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from assets import permissions
from assets.services.facts import check_size
from assets.services.ingest import ingest_file
from core import audit
from core.refusals import Refused
from governance.models import DirectUpload

DELETE_BATCH = 1000  # the most keys one S3 DeleteObjects call takes


class IncomingStoreError(Exception):
    """The upload store did not delete every object asked; the run is rolled back and retried."""


def incoming_client():
    return boto3.client(
        "s3",
        endpoint_url=settings.S3_UPLOAD_ENDPOINT_URL,
        aws_access_key_id=settings.S3_UPLOAD_ACCESS_KEY_ID,
        aws_secret_access_key=settings.S3_UPLOAD_SECRET_ACCESS_KEY,
        region_name=settings.S3_UPLOAD_REGION,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def start_upload(*, actor, content_type, filename="", title="", collections=()):
    """A ticket and the presigned POST (``{"url", "fields"}``) the client sends the file with."""
    bucket = settings.S3_UPLOAD_BUCKET
    if not bucket:
        raise Refused("Direct uploads are not configured on this server; use POST /api/assets/.",
                      code="not_configured", status=409)  # the server's set-up, not a fault: no 5xx
    if not all(permissions.can_upload(actor.user, collection) for collection in collections or [None]):
        raise PermissionDenied("You may not upload here.")
    ttl = settings.S3_UPLOAD_TTL
    with transaction.atomic():
        ticket = DirectUpload.objects.create(user=actor.user, filename=filename[-255:], title=title[:500],
                                             expires_at=timezone.now() + timedelta(seconds=ttl))
        ticket.collections.set(collections)
        audit.record(actor, "upload.presign", obj=ticket, after={"key": ticket.key, "content_type": content_type})
    post = incoming_client().generate_presigned_post(
        Bucket=bucket,
        Key=ticket.key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"bucket": bucket},
            ["eq", "$key", ticket.key],
            ["content-length-range", 1, settings.LUMEN_MAX_UPLOAD_BYTES],
            ["eq", "$Content-Type", content_type],  # the type the request was checked with, and no other
        ],
        ExpiresIn=ttl,
    )
    return ticket, post


def _arrived_size(ticket):
    """The size of the uploaded object; refused (and the ticket keeps waiting) while it has not arrived."""
    try:
        head = incoming_client().head_object(Bucket=settings.S3_UPLOAD_BUCKET, Key=ticket.key)
    except ClientError:
        raise Refused("The file has not arrived in the upload bucket yet.", code="not_uploaded", status=409)
    return head["ContentLength"]


def _fetch(ticket, size):
    """The uploaded bytes, refusing before reading when the store reports an oversized object."""
    check_size(size)
    body = incoming_client().get_object(Bucket=settings.S3_UPLOAD_BUCKET, Key=ticket.key)["Body"]
    return body.read(settings.LUMEN_MAX_UPLOAD_BYTES + 1)


def _delete_incoming(ticket):
    incoming_client().delete_object(Bucket=settings.S3_UPLOAD_BUCKET, Key=ticket.key)


def confirm_upload(ticket, *, actor, sha256):
    """Verify and ingest the uploaded object; a refusal marks the ticket failed and raises ``Refused``."""
    refusal = result = None
    with transaction.atomic():
        ticket = DirectUpload.objects.select_for_update().filter(pk=ticket.pk).first()
        if ticket is None:  # purged as abandoned between the client's request and this lock
            raise Refused("This upload waited too long and was removed; start it again.", code="expired",
                          status=410)
        if ticket.state != DirectUpload.State.WAITING:
            raise Refused(f"This upload is already {ticket.get_state_display().lower()}.", code="not_waiting",
                          status=409)
        size = _arrived_size(ticket)
        try:
            data = _fetch(ticket, size)
            if hashlib.sha256(data).hexdigest() != sha256.lower():
                raise Refused("The uploaded file does not match the checksum you sent; upload it again.",
                              code="checksum_mismatch", status=422)
            result = ingest_file(io.BytesIO(data), filename=ticket.filename, actor=actor,
                                 collections=list(ticket.collections.all()), title=ticket.title)
        except Refused as exc:
            refusal = exc
        ticket.state = DirectUpload.State.FAILED if refusal else DirectUpload.State.DONE
        ticket.detail = refusal.message if refusal else result.duplicate_message
        ticket.asset = result.asset if result else None
        ticket.save(update_fields=["state", "detail", "asset"])
        audit.record(actor, "upload.refused" if refusal else "upload.confirm", asset=ticket.asset, obj=ticket,
                     after={"key": ticket.key, "sha256": sha256.lower(), "detail": ticket.detail})
        transaction.on_commit(lambda: _delete_incoming(ticket))
    if refusal:
        raise refusal
    return result


def _stale_incoming_keys(client, cutoff):
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=settings.S3_UPLOAD_BUCKET,
                                                             Prefix=DirectUpload.KEY_PREFIX)
    return [item["Key"] for page in pages for item in page.get("Contents", []) if item["LastModified"] < cutoff]


def _delete_incoming_keys(client, keys):
    for start in range(0, len(keys), DELETE_BATCH):
        batch = [{"Key": key} for key in keys[start:start + DELETE_BATCH]]
        errors = client.delete_objects(Bucket=settings.S3_UPLOAD_BUCKET,
                                       Delete={"Objects": batch, "Quiet": True}).get("Errors")
        if errors:
            raise IncomingStoreError(f"{len(errors)} incoming objects not deleted, e.g. {errors[0]}")


def purge_abandoned_uploads(*, now=None):
    """Delete incoming objects and waiting tickets older than LUMEN_INCOMING_UPLOAD_MAX_AGE_HOURS; one audit entry.

    Re-running finds nothing more to do. A ticket being confirmed at this moment (row locked) keeps its object.
    """
    if not settings.S3_UPLOAD_BUCKET:
        return {"objects": 0, "tickets": 0}
    cutoff = (now or timezone.now()) - timedelta(hours=settings.LUMEN_INCOMING_UPLOAD_MAX_AGE_HOURS)
    client = incoming_client()
    stale = _stale_incoming_keys(client, cutoff)
    with transaction.atomic():
        waiting = DirectUpload.objects.filter(state=DirectUpload.State.WAITING, created_at__lt=cutoff)
        abandoned = list(waiting.select_for_update(skip_locked=True).values_list("pk", flat=True))
        DirectUpload.objects.filter(pk__in=abandoned).delete()
        in_confirmation = {ticket.key for ticket in waiting}  # the locked ones, still there
        keys = [key for key in stale if key not in in_confirmation]
        _delete_incoming_keys(client, keys)
        counts = {"objects": len(keys), "tickets": len(abandoned)}
        audit.record(audit.SYSTEM, "upload.purge_abandoned", after={**counts, "cutoff": cutoff.isoformat()})
    return counts
