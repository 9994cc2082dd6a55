"""Short-lived download links for an original or a rendition, handed to people or systems without a session.

On S3 the link is the store's own presigned GET: it works until it expires whatever happens meanwhile (trash,
rejection, the issuer's roles), which is why these links are short-lived and say ``revocable: False``; a link
that must be revocable is a share link (``governance.services.sharing``), served through the app. On local
storage it is a ``TimestampSigner`` token naming the file, the issuer and the asset's ``access_epoch``; the
serving view checks the signature, the expiry, the epoch (trash and rejection bump it) and asks the permission
gate again for the issuer.
"""
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse

from assets import permissions
from assets.models import Asset, AssetVersion, Rendition
from core import audit
from core.refusals import Refused

SALT = "lumen.signed-download"
KINDS = {"version": AssetVersion, "rendition": Rendition}


class SignedLink(NamedTuple):
    url: str
    expires_in: int
    revocable: bool  # False for S3's presigned URLs: nothing can stop one before it expires


def _signer():
    return signing.TimestampSigner(salt=SALT)


def _is_s3(storage):
    return hasattr(storage, "bucket_name")


def _kind_of(target):
    return "version" if isinstance(target, AssetVersion) else "rendition"


def _asset_of(target):
    return target.asset if isinstance(target, AssetVersion) else target.version.asset


def issue_download_url(asset, target, *, actor, ttl=None):
    """A ``SignedLink``: a URL (absolute for S3, a site path for local files) valid for ``expires_in`` seconds."""
    ttl = max(1, min(int(ttl or settings.LUMEN_SIGNED_URL_TTL), settings.LUMEN_SIGNED_URL_MAX_TTL))
    if _asset_of(target).pk != asset.pk:
        raise Refused("That file belongs to another asset.", code="not_found", status=404)
    permissions.authorise(actor, "download", asset)
    kind = _kind_of(target)
    if _is_s3(default_storage):
        url = default_storage.url(target.file.name, expire=ttl)
    else:
        token = _signer().sign_object({"k": kind, "id": target.pk, "e": asset.access_epoch,
                                       "u": actor.user.pk if actor.user else None, "t": ttl})
        url = reverse("governance:signed_download", kwargs={"token": token})
    audit.record(actor, "asset.signed_url_issue", asset=asset, obj=target, after={"kind": kind, "ttl": ttl})
    return SignedLink(url, ttl, revocable=not _is_s3(default_storage))


def resolve_download_token(token):
    """The (asset, file, issuer) a local token grants, or ``Refused`` saying why not."""
    try:
        payload = _signer().unsign_object(token)
        _signer().unsign_object(token, max_age=payload["t"])
    except signing.SignatureExpired:
        raise Refused("This download link has expired; ask for a new one.", code="link_expired", status=410)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Refused("This download link is not valid.", code="link_invalid", status=403)
    target = KINDS[payload["k"]].objects.filter(pk=payload["id"]).first()
    asset = Asset.objects.filter(pk=_asset_of(target).pk).first() if target else None
    issuer = get_user_model().objects.filter(pk=payload["u"]).first() if payload["u"] else None
    if asset is None or asset.access_epoch != payload["e"] or not permissions.can(issuer, "download", asset):
        raise Refused("This download link is no longer valid.", code="link_revoked", status=403)
    return asset, target, issuer
