"""The single permission gate for assets: every list, detail, download and API read calls it.

For now every signed-in user may read every asset and upload; roles per collection
replace the bodies of these functions without touching any caller.
"""
from assets.models import Asset


def visible_assets(user, queryset=None):
    """Assets ``user`` may see, as a queryset (so search and lists filter in SQL)."""
    queryset = Asset.objects.all() if queryset is None else queryset
    if not (user and user.is_authenticated):
        return queryset.none()
    return queryset


def can_view(user, asset):
    return visible_assets(user, Asset.objects.filter(pk=asset.pk)).exists()


def can_upload(user, collection=None):
    return bool(user and user.is_authenticated)


def can_change(user, asset):
    return bool(user and user.is_authenticated)
