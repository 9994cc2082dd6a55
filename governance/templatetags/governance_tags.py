"""Template tags: the rights badge on library cards, the permission facts and the download form of the asset-page
panel, the usage-rights fields of the bulk upload and the governance links of the header."""
from datetime import timedelta

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from assets import permissions
from assets.renditions import RenditionSpec
from assets.templatetags.asset_images import GRID_SIZES, picture
from governance.forms import UsageRightsForm
from governance.models import Channel, LicenceType, UsageRights
from governance.services import sharing
from governance.services.rights import uncovered_use

register = template.Library()


def _rights_of(asset):
    try:
        return asset.usage_rights
    except UsageRights.DoesNotExist:
        return None


@register.simple_tag
def rights_badge(asset):
    """Empty when usable today; otherwise says why not (same rule as ``rights.usable_for`` with no channel).

    List views should ``select_related("usage_rights")`` so the badge costs no query per card.
    """
    rights = _rights_of(asset)
    if rights is None:
        return format_html('<span class="badge" title="{}">No rights on file</span>',
                           "Record usage rights before publishing this image.")
    today = timezone.localdate()
    if rights.usable_on(None, None, today):
        return ""
    reason = (f"Rights expired on {rights.expires_on:%d %b %Y}" if rights.expires_on and rights.expires_on < today
              else f"Rights start on {rights.starts_on:%d %b %Y}")
    return format_html('<span class="badge badge-failed" title="{}">Not usable today</span>', reason)


@register.simple_tag(takes_context=True)
def asset_governance(context, asset):
    """What the current user may do on this asset, for the governance panel; one query per answer."""
    user = context["request"].user
    return {
        "rights": _rights_of(asset),
        "can_change": permissions.can(user, "change", asset),
        "can_delete": permissions.can(user, "delete", asset),
        "can_manage_rights": permissions.can(user, "manage_rights", asset),
        "can_download": permissions.can(user, "download", asset),
    }


@register.simple_tag(takes_context=True)
def governance_links(context):
    """The governance pages the user may open, for the header's "More" menu; the same checks as the views."""
    user = context["request"].user
    roles = permissions.roles_somewhere(user)
    names = []
    if "moderator" in roles:
        names.append(("governance:moderation", "Moderation queue"))
    names += [("governance:trash", "Trash"), ("governance:rights_report", "Rights report"),
              ("governance:share_links", "Share links")]
    if permissions.is_site_admin(user):
        names += [("governance:audit", "Audit log"), ("governance:users", "Users")]
    if "admin" in roles:
        names.append(("governance:managed_collections", "Roles"))
    match = context["request"].resolver_match
    current = match.view_name if match else None
    links = [{"url": reverse(name), "label": label, "current": name == current} for name, label in names]
    return {"links": links, "current": any(link["current"] for link in links)}


@register.filter
def add_days(moment, days):
    """When something ``days`` after ``moment`` happens (the trash's purge date)."""
    return moment + timedelta(days=int(days)) if moment else None


@register.inclusion_tag("governance/_selection_bar.html", takes_context=True)
def selection_bar(context):
    """The library's selection actions (``governance.views.act_on_selection``), with the collections the user may
    file into."""
    return {"collections": list(permissions.collections_with_role(context["request"].user, "contributor"))}


@register.simple_tag
def shared_picture(token, asset, sizes=GRID_SIZES):
    """``asset_srcset`` for a shared page: the files come through the share link's own addresses (at a grid
    tile's width unless ``sizes`` says otherwise)."""
    return picture(asset, sizes, lambda asset, version, rendition: sharing.rendition_address(token, asset, rendition))


@register.simple_tag
def shared_view_url(token, asset):
    """Where a shared tile leads without scripts (with them, the lightbox opens): its largest JPEG preview."""
    version = asset.current_version
    previews = [rendition for rendition in (version.renditions.all() if version else [])
                if rendition.format == "jpeg" and RenditionSpec.parse(rendition.spec).keeps_aspect]
    largest = max(previews, key=lambda rendition: rendition.width, default=None)
    return sharing.rendition_address(token, asset, largest) if largest else ""


@register.inclusion_tag("governance/_upload_rights.html")
def upload_rights_fields():
    """The usage-rights fields of the bulk upload page, sent as JSON with each file (``assets.signals.upload_rights``);
    no licence type chosen means no rights are recorded."""
    form = UsageRightsForm(prefix="rights")
    form.fields["licence_type"].required = False
    form.fields["licence_type"].choices = [("", "None: record rights later"), *LicenceType.choices]
    return {"form": form}


@register.simple_tag
def download_for_use(asset):
    """The governance panel's download form: the channels to choose from, and what the rights on record do not
    cover today (with whether downloads are then refused)."""
    rights = _rights_of(asset)
    return {
        "channels": Channel.choices,
        "warning": uncovered_use(rights) if rights else "",
        "refused": settings.LUMEN_RIGHTS_ON_DOWNLOAD == "refuse",
    }
