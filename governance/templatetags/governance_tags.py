"""Template tags: the rights badge on library cards, the permission facts of the asset-page panel and the
governance links of the header."""
from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from assets import permissions
from governance.models import UsageRights

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
    }


@register.simple_tag(takes_context=True)
def governance_links(context):
    """The governance pages the user may open, for the header's "More" menu; the same checks as the views."""
    user = context["request"].user
    roles = permissions.roles_somewhere(user)
    names = []
    if "moderator" in roles:
        names.append(("governance:moderation", "Moderation queue"))
    names += [("governance:trash", "Trash"), ("governance:rights_report", "Rights report")]
    if permissions.is_site_admin(user):
        names.append(("governance:audit", "Audit log"))
    if "admin" in roles:
        names.append(("governance:managed_collections", "Roles"))
    match = context["request"].resolver_match
    current = match.view_name if match else None
    links = [{"url": reverse(name), "label": label, "current": name == current} for name, label in names]
    return {"links": links, "current": any(link["current"] for link in links)}
