"""The single permission gate for assets: every list, detail, search, download, API read and mutation asks it.

Rules (one Q-expression per action, built by ``_rule``, so querysets and single checks cannot disagree):

- Site admins (``is_superuser``) may do everything; inactive and anonymous users nothing.
- Roles are granted per collection to users or groups (``assets.models.CollectionRole``) and are
  ordered viewer < contributor < editor < moderator < admin; an asset in several collections takes the
  best role the user holds on any of them.
- view/download: the owner (uploader), or a viewer+ of one of the asset's collections.
- Flagged (pending) and rejected assets are seen only by moderators+ of one of their collections; the
  owner still sees their own *pending* asset (so they know it is under review), never a rejected one.
- change/delete/manage_rights: a visible asset that the user owns or edits (editor+).
- moderate: moderator+; manage_roles: admin+ of one of the asset's collections.
- Trashed assets are invisible to every action above; ``restore`` applies to them with the delete rule
  and ``purge`` (irreversible) needs admin+. Legal hold is a state, enforced by the retention service.
"""
import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Expression, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from assets.models import Asset, Collection, CollectionRole, Role, roles_at_least
from core.sql import probed_exists

LIVE_ACTIONS = ("view", "download", "change", "delete", "moderate", "manage_rights", "manage_roles")
TRASH_ACTIONS = ("restore", "purge")
ACTIONS = LIVE_ACTIONS + TRASH_ACTIONS
HIDDEN_STATES = (Asset.Moderation.PENDING, Asset.Moderation.REJECTED)


def _is_active(user):
    return bool(user is not None and user.is_authenticated and user.is_active)


def _granted_collections_sql(user_id, role):
    """SQL and params of the array of ids of the collections where the user holds ``role`` or better, directly or
    through a group. As ``= ANY(ARRAY(...))`` Postgres reads it once per statement (an InitPlan; as ``IN`` it was
    joined again with every asset probed, 5 µs a row instead of ~1); the groups are a subquery of their own
    (joins through auth_group cost the planner about a millisecond)."""
    roles = roles_at_least(role)
    grants = CollectionRole._meta.db_table
    memberships = get_user_model().groups.through._meta.db_table
    sql = (f"ARRAY(SELECT gate_r.collection_id FROM {grants} gate_r WHERE (gate_r.user_id = %s OR gate_r.group_id IN "
           f"(SELECT gate_g.group_id FROM {memberships} gate_g WHERE gate_g.user_id = %s)) "
           f"AND gate_r.role IN ({', '.join(['%s'] * len(roles))}))")
    return sql, (user_id, user_id, *roles)


class _Granted(Expression):
    """A condition on the user's roles for one row (``template`` places the row's column and the granted array),
    written as SQL rather than composed from querysets: composing it cost ~1.5 ms of ORM work per use, several
    uses on every page a non-admin opens."""

    conditional = True
    output_field = BooleanField()
    template = "%(column)s = ANY(%(granted)s)"

    def __init__(self, user_id, role, column=F("pk")):
        super().__init__(output_field=BooleanField())
        self.user_id, self.role, self.column = user_id, role, column

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, expressions):
        (self.column,) = expressions

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        granted, granted_params = _granted_collections_sql(self.user_id, self.role)
        return self.template % {"column": column, "granted": granted}, (*column_params, *granted_params)


class _InGrantedCollection(_Granted):
    """Whether the asset is in one of the collections where the user holds the role; each asset is checked by
    an index probe of its memberships (``core.sql.probed_exists``)."""

    template = probed_exists(f"SELECT 1 FROM {Asset.collections.through._meta.db_table} gate_m "
                             "WHERE gate_m.asset_id = %(column)s AND gate_m.collection_id = ANY(%(granted)s)")


def collections_with_role(user, role):
    """Collections on which ``user`` holds ``role`` or better (all of them for site admins)."""
    if not _is_active(user):
        return Collection.objects.none()
    if user.is_superuser:
        return Collection.objects.all()
    return Collection.objects.filter(_Granted(user.pk, role))


def role_condition_sql(user, role, column):
    """SQL and params of the condition "``user`` holds ``role`` or better on the collection whose id is ``column``"
    (an SQL expression), for statements written as SQL: the same rule as ``collections_with_role``."""
    if not _is_active(user):
        return "FALSE", ()
    if user.is_superuser:
        return "TRUE", ()
    granted, params = _granted_collections_sql(user.pk, role)
    return f"{column} = ANY({granted})", params


def _in_collection_where(user, role):
    return Q(_InGrantedCollection(user.pk, role))


def _rule(user, action):
    """The Q-expression over Asset rows for ``action``, trash state aside; only the subqueries it needs."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not _is_active(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    if action in ("manage_roles", "purge"):
        return _in_collection_where(user, "admin")
    moderates = _in_collection_where(user, "moderator")
    if action == "moderate":
        return moderates
    owns = Q(owner=user)
    seen = (owns | _in_collection_where(user, "viewer")) & (
        ~Q(moderation_state__in=HIDDEN_STATES) | moderates | (owns & Q(moderation_state=Asset.Moderation.PENDING))
    )
    if action in ("view", "download"):
        return seen
    return seen & (owns | _in_collection_where(user, "editor"))  # change, delete, manage_rights, restore


def permitted_assets(user, action, queryset=None):
    """Assets on which ``user`` may perform ``action``, as a queryset filtered in SQL."""
    queryset = Asset.objects.all() if queryset is None else queryset
    return queryset.filter(_rule(user, action), deleted_at__isnull=action not in TRASH_ACTIONS)


def visible_assets(user, queryset=None):
    """Assets ``user`` may see, as a queryset (search embeds it as a subquery)."""
    return permitted_assets(user, "view", queryset)


def trashed_assets(user, queryset=None):
    """What the trash page lists: trashed assets ``user`` could restore."""
    return permitted_assets(user, "restore", queryset)


def can(user, action, asset):
    """One asset, one action: the same SQL as ``permitted_assets`` so the answers always agree."""
    return permitted_assets(user, action, Asset.objects.filter(pk=asset.pk)).exists()


def asset_for_action_or_404(user, action, uid, queryset=None):
    """The asset ``uid`` a page or endpoint is about to act on: 404 unless ``user`` sees it (so it stays
    hidden; trashed assets are seen, for restore and purge, by those who may restore them), PermissionDenied
    (403) with ``refusal_text`` if they see it but may not do ``action``."""
    seen = trashed_assets(user, queryset) if action in TRASH_ACTIONS else visible_assets(user, queryset)
    asset = get_object_or_404(seen, uid=uid_or_404(uid))
    if not can(user, action, asset):
        raise PermissionDenied(refusal_text(action))
    return asset


def uid_or_404(uid):
    """An asset uid from a URL: API routes take any text, and text that is no UUID names no asset."""
    try:
        return uuid.UUID(str(uid))
    except ValueError:
        raise Http404("No such asset.")


def is_uid(value):
    """Whether ``value`` (query-string text) can name an asset at all; lookups skip what cannot."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def administered_collection_or_404(user, slug):
    """The collection ``slug`` for a page or endpoint of its admins (and site admins): 404 if there is
    none, PermissionDenied (403) for anyone else."""
    collection = get_object_or_404(Collection, slug=slug)
    if not can_manage_roles(user, collection):
        raise PermissionDenied("You may not manage roles on this collection.")
    return collection


def authorise(actor, action, asset):
    """Services re-check the gate for people; system jobs (``core.audit.SYSTEM``, no user) act on policy alone."""
    if actor.user is not None and not can(actor.user, action, asset):
        raise PermissionDenied(refusal_text(action))


REFUSALS = {
    "view": "see this asset", "download": "download this asset", "change": "change this asset",
    "delete": "move this asset to the trash", "moderate": "moderate this asset",
    "manage_rights": "set the usage rights of this asset", "manage_roles": "manage roles on this asset's collections",
    "restore": "restore this asset", "purge": "purge this asset",
}


def refusal_text(action):
    """What a person who may not do ``action`` to an asset is told, by pages and the API alike."""
    return f"You may not {REFUSALS[action]}."


def can_view(user, asset):
    return can(user, "view", asset)


def can_change(user, asset):
    return can(user, "change", asset)


def can_upload(user, collection=None):
    """Anyone signed in may upload unfiled assets (seen by them and site admins); filing needs contributor+."""
    if not _is_active(user):
        return False
    if collection is None or user.is_superuser:
        return True
    return collections_with_role(user, "contributor").filter(pk=collection.pk).exists()


def can_manage_roles(user, collection):
    return collections_with_role(user, "admin").filter(pk=collection.pk).exists()


def is_site_admin(user):
    return _is_active(user) and user.is_superuser


def roles_somewhere(user):
    """Every role ``user`` holds, or outranks, on at least one collection (all roles for site admins), in one query:
    "moderator" in it opens the moderation queue, "admin" the roles pages, and the header shows their links by it."""
    if not _is_active(user):
        return frozenset()
    if user.is_superuser:
        return frozenset(Role.values)
    held = set(CollectionRole.objects.filter(Q(user=user) | Q(group__user=user)).values_list("role", flat=True))
    return frozenset(role for role in Role.values if held.intersection(roles_at_least(role)))
