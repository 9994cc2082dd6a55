"""Share links: a signed address that shows one asset, or a collection's assets, to anyone who holds it, until it
expires or is revoked.

The address carries the link's id signed with the site's secret (``signing``), so it cannot be guessed or
altered; whether it still works is the row's business (expiry, revocation), asked on every request. What it
shows is what its creator may download now, minus assets awaiting or refused by a moderator. Every file is
served by the app, never by a presigned store URL, so a revoked or expired link stops at once on local storage
and on S3 alike (``signed_urls`` hands out S3 presigned URLs, which cannot be revoked: it says so).
"""
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from assets import permissions
from assets.models import Asset
from core import audit
from core.refusals import Refused
from governance.models import ShareLink

SALT = "lumen.share-link"
SHARE_ROLE = "editor"  # a collection is shared by its editors (and site admins); an asset by whoever may download it


def token_of(link):
    return signing.dumps(link.pk, salt=SALT)


def address_of(link):
    """The link's path on this site (``request.build_absolute_uri`` or ``SITE_URL`` make it whole)."""
    return reverse("governance:shared", kwargs={"token": token_of(link)})


def rendition_address(token, asset, rendition):
    """No ``?f=`` content token: shared files are revalidated on every view, so a revoked link stops them at once."""
    return reverse("governance:shared_rendition", kwargs={"token": token, "uid": asset.uid, "spec": rendition.spec})


def original_address(token, asset):
    return reverse("governance:shared_original", kwargs={"token": token, "uid": asset.uid})


def may_manage(user, link):
    """Its creator and site admins see, list and revoke a link."""
    return permissions.is_site_admin(user) or (user.is_authenticated and link.created_by_id == user.pk)


def manageable_links(user):
    links = ShareLink.objects.select_related("asset", "collection", "created_by", "revoked_by")
    return links if permissions.is_site_admin(user) else links.filter(created_by_id=user.pk)


def create_share_link(*, actor, expires_at, asset=None, collection=None, include_originals=False, note=""):
    """A new link to ``asset`` or ``collection`` valid until ``expires_at`` (at most LUMEN_SHARE_LINK_MAX_DAYS)."""
    if (asset is None) == (collection is None):
        raise ValueError("share exactly one asset or one collection")
    now = timezone.now()
    if expires_at <= now:
        raise Refused("Choose an end in the future.", code="expiry_in_past")
    longest = timedelta(days=settings.LUMEN_SHARE_LINK_MAX_DAYS)
    if expires_at > now + longest:
        raise Refused(f"A share link may stay valid for at most {settings.LUMEN_SHARE_LINK_MAX_DAYS} days.",
                      code="expiry_too_far")
    if asset is not None:
        permissions.authorise(actor, "download", asset)
        if asset.moderation_state in permissions.HIDDEN_STATES:
            raise Refused("This asset waits for a moderator, or was rejected: it cannot be shared.",
                          code="not_shareable", status=409)
    elif actor.user is not None and not permissions.collections_with_role(actor.user, SHARE_ROLE).filter(
            pk=collection.pk).exists():
        raise PermissionDenied("Sharing a collection needs the editor role on it.")
    with transaction.atomic():
        link = ShareLink.objects.create(asset=asset, collection=collection, created_by=actor.user,
                                        expires_at=expires_at, include_originals=include_originals, note=note)
        audit.record(actor, "share.create", asset=asset, obj=link, after=_described(link))
    return link


def revoke_share_link(link, *, actor):
    """Stop ``link`` now; it stays listed (and in the audit log) as revoked."""
    if actor.user is not None and not may_manage(actor.user, link):
        raise PermissionDenied("Only the person who made a share link, or a site admin, may revoke it.")
    with transaction.atomic():
        link = ShareLink.objects.select_for_update().get(pk=link.pk)
        if link.revoked_at is None:
            link.revoked_at, link.revoked_by = timezone.now(), actor.user
            link.save(update_fields=["revoked_at", "revoked_by"])
            audit.record(actor, "share.revoke", asset=link.asset, obj=link, before=_described(link))
    return link


def _described(link):
    what = {"asset": str(link.asset.uid)} if link.asset_id else {"collection": link.collection.slug}
    return {**what, "expires_at": link.expires_at.isoformat(), "include_originals": link.include_originals,
            "note": link.note}


def resolve_share(token):
    """The link ``token`` names while it works, else ``Refused`` saying why (404 unknown, 410 ended)."""
    try:
        pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Refused("This share link is not valid: check that it was copied whole.", code="link_invalid",
                      status=404)
    link = ShareLink.objects.select_related("asset", "collection", "created_by").filter(pk=pk).first()
    if link is None:
        raise Refused("This share link no longer exists.", code="link_invalid", status=404)
    state = link.state(timezone.now())
    if state == "revoked":
        raise Refused("This share link was revoked by the person who shared it.", code="link_revoked", status=410)
    if state == "expired":
        raise Refused(f"This share link expired on {timezone.localtime(link.expires_at):%d %B %Y at %H:%M}; ask "
                      "for a new one.", code="link_expired", status=410)
    return link


def shared_assets(link):
    """What ``link`` shows now: its asset or its collection's, as far as its creator may download them."""
    shown = Asset.objects.filter(pk=link.asset_id) if link.asset_id else link.collection.assets.all()
    return permissions.permitted_assets(link.created_by, "download", shown).exclude(
        moderation_state__in=permissions.HIDDEN_STATES)


def shared_asset_or_404(link, uid):
    return get_object_or_404(shared_assets(link).select_related("current_version"), uid=permissions.uid_or_404(uid))
