"""The permission gate against a tiny independent reference model, over random worlds.

Hypothesis builds worlds of users (some site admins, some inactive), groups, collections, role grants to
users and groups, and assets in 0..n collections with every moderation state, some in the trash. The
reference answers from plain Python sets; ``permitted_assets``/``visible_assets``/``can``/``can_upload``
must agree for every user × asset × action, and for a sample the real endpoints must show exactly the
visible assets and refuse mutations they do not allow.
"""
import io
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Value
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image

from assets import permissions
from assets.models import Asset, AssetVersion, Collection, CollectionRole, Rendition
from governance.models import UsageRights

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "contributor", "editor", "moderator", "admin"]
STATES = ["unchecked", "clear", "pending", "approved", "rejected"]


@dataclass
class World:
    users: list  # (is_superuser, is_active, groups: frozenset)
    collections: int
    grants: dict  # (collection, ("user" | "group", index)) -> role
    assets: list  # (owner index | None, collections: frozenset, state, trashed)
    groups: int = 2
    ids: dict = field(default_factory=dict)


@st.composite
def worlds(draw, max_users=4, max_assets=6):
    groups = draw(st.integers(0, 2))
    collections = draw(st.integers(1, 3))
    users = draw(st.lists(st.tuples(
        st.sampled_from([False] * 6 + [True]),
        st.sampled_from([True] * 6 + [False]),
        st.frozensets(st.integers(0, groups - 1), max_size=groups) if groups else st.just(frozenset()),
    ), min_size=1, max_size=max_users))
    principals = [("user", i) for i in range(len(users))] + [("group", j) for j in range(groups)]
    grants = draw(st.dictionaries(
        st.tuples(st.integers(0, collections - 1), st.sampled_from(principals)), st.sampled_from(ROLES), max_size=8
    ))
    assets = draw(st.lists(st.tuples(
        st.one_of(st.none(), st.integers(0, len(users) - 1)),
        st.frozensets(st.integers(0, collections - 1), max_size=collections),
        st.sampled_from(STATES),
        st.sampled_from([False, False, False, True]),
    ), min_size=1, max_size=max_assets))
    return World(users=users, collections=collections, grants=grants, assets=assets, groups=groups)


class Reference:
    """The rules of assets/permissions.py restated over sets, written without looking at its SQL."""

    def __init__(self, world):
        self.world = world

    def rank(self, user, collection):
        _, _, groups = self.world.users[user]
        held = [ROLES.index(role) + 1 for (c, (kind, who)), role in self.world.grants.items()
                if c == collection and ((kind == "user" and who == user) or (kind == "group" and who in groups))]
        return max(held, default=0)

    def best_rank(self, user, asset):
        return max((self.rank(user, c) for c in self.world.assets[asset][1]), default=0)

    def allowed(self, user, action, asset):
        is_superuser, is_active, _ = self.world.users[user]
        owner, _, state, trashed = self.world.assets[asset]
        if not is_active or trashed != (action in ("restore", "purge")):
            return False
        if is_superuser:
            return True
        best, owns = self.best_rank(user, asset), owner == user
        moderator = best >= 4
        sees = (owns or best >= 1) and (state not in ("pending", "rejected") or moderator
                                         or (owns and state == "pending"))
        edits = sees and (owns or best >= 3)
        return {
            "view": sees, "download": sees, "change": edits, "delete": edits, "manage_rights": edits,
            "restore": edits, "moderate": moderator, "manage_roles": best >= 5, "purge": best >= 5,
        }[action]

    def may_upload(self, user, collection):
        is_superuser, is_active, _ = self.world.users[user]
        return is_active and (is_superuser or self.rank(user, collection) >= 2)

    def visible(self, user):
        return {a for a in range(len(self.world.assets)) if self.allowed(user, "view", a)}


@contextmanager
def rolled_back():
    """Each example builds its world in a savepoint that is thrown away afterwards."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def build(world, stored_file=None):
    """Write the world with a handful of bulk inserts; returns (users, collections, assets) in world order."""
    groups = Group.objects.bulk_create([Group(name=f"group-{j}") for j in range(world.groups)])
    users = User.objects.bulk_create([
        User(username=f"user-{i}", is_superuser=su, is_staff=su, is_active=active)
        for i, (su, active, _) in enumerate(world.users)
    ])
    User.groups.through.objects.bulk_create([
        User.groups.through(user_id=users[i].pk, group_id=groups[j].pk)
        for i, (_, _, member_of) in enumerate(world.users) for j in member_of
    ])
    collections = Collection.objects.bulk_create([
        Collection(name=f"Collection {c}", slug=f"collection-{c}") for c in range(world.collections)
    ])
    CollectionRole.objects.bulk_create([
        CollectionRole(collection=collections[c], role=role,
                       user=users[who] if kind == "user" else None, group=groups[who] if kind == "group" else None)
        for (c, (kind, who)), role in world.grants.items()
    ])
    now = timezone.now()
    assets = Asset.objects.bulk_create([
        Asset(title=f"Asset {n}", owner=users[owner] if owner is not None else None, moderation_state=state,
              deleted_at=now if trashed else None, status=Asset.Status.READY)
        for n, (owner, _, state, trashed) in enumerate(world.assets)
    ])
    Asset.collections.through.objects.bulk_create([
        Asset.collections.through(asset_id=assets[n].pk, collection_id=collections[c].pk)
        for n, (_, in_collections, _, _) in enumerate(world.assets) for c in in_collections
    ])
    if stored_file is not None:
        _attach_files(assets, stored_file)
    return users, collections, assets


def _attach_files(assets, stored_file):
    name, sha256, size = stored_file
    versions = AssetVersion.objects.bulk_create([
        AssetVersion(asset=asset, number=1, file=name, sha256=sha256, format="jpeg", mime_type="image/jpeg",
                     width=32, height=24, bytes=size) for asset in assets
    ])
    Rendition.objects.bulk_create([
        Rendition(version=version, spec="width-320|format-jpeg", file=name, format="jpeg", width=32, height=24,
                  bytes=size) for version in versions
    ])
    for asset, version in zip(assets, versions):
        asset.current_version = version
    Asset.objects.bulk_update(assets, ["current_version"])
    UsageRights.objects.bulk_create([UsageRights(asset=asset, licence_type="owned") for asset in assets])


def permitted_by_action(user):
    """``permitted_assets`` for every action in one round trip (a UNION ALL of the very same statements)."""
    statements = [permissions.permitted_assets(user, action).order_by().values_list("pk", Value(action))
                  for action in permissions.ACTIONS]
    found = {action: set() for action in permissions.ACTIONS}
    for pk, action in statements[0].union(*statements[1:], all=True):
        found[action].add(pk)
    return found


# No shrinking: each step rebuilds a world in the database, so shrinking a failure takes many minutes; the
# failing world is printed as generated (they are small), and the savepoint rollback makes the fixtures safe.
PROPERTY_SETTINGS = dict(
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(max_examples=100, **PROPERTY_SETTINGS)
@given(world=worlds(), data=st.data())
def test_gate_agrees_with_the_reference_for_every_user_asset_and_action(world, data):
    """Every user × action is compared on the whole asset set; ``can`` (the same SQL for one row) on a sample."""
    reference = Reference(world)
    with rolled_back():
        users, collections, assets = build(world)
        index_of = {asset.pk: n for n, asset in enumerate(assets)}
        for u, user in enumerate(users):
            visible = {index_of[pk] for pk in permissions.visible_assets(user).values_list("pk", flat=True)}
            assert visible == reference.visible(u)
            got = permitted_by_action(user)
            for action in permissions.ACTIONS:
                expected = {a for a in range(len(assets)) if reference.allowed(u, action, a)}
                assert {index_of[pk] for pk in got[action]} == expected, (u, action)
            action = data.draw(st.sampled_from(permissions.ACTIONS), label="action")
            a = data.draw(st.integers(0, len(assets) - 1), label="asset")
            assert permissions.can(user, action, assets[a]) == reference.allowed(u, action, a), (u, action, a)
            c = data.draw(st.integers(0, len(collections) - 1), label="collection")
            assert permissions.can_upload(user, collections[c]) == reference.may_upload(u, c)


@pytest.fixture(scope="module")
def stored_jpeg(django_db_blocker):
    """One real JPEG in storage that every generated version and rendition points at."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(buffer, "JPEG")
    data = buffer.getvalue()
    name = default_storage.save("tests/permissions/teal.jpg", ContentFile(data))
    yield name, "0" * 64, len(data)
    default_storage.delete(name)


def _url(name, **kwargs):
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def detail_urls(asset):
    """Every per-asset read endpoint that exists in this checkout (others are added as they land)."""
    candidates = [
        _url("assets:detail", uid=asset.uid),
        _url("assets:original", uid=asset.uid, number=1),
        _url("assets:rendition", uid=asset.uid, number=1, spec="width-320|format-jpeg"),
        _url("api:asset-detail", uid=asset.uid),
        _url("api:asset-jsonld", uid=asset.uid),
        _url("governance:asset_audit", uid=asset.uid),
        _url("governance-api:rights", uid=asset.uid),
    ]
    return [url for url in candidates if url]


def list_urls():
    """(url, query) of every listing that exists; search is asked for the word every generated title has."""
    candidates = [(_url("assets:library"), {}), (_url("api:asset-list"), {"page_size": 100}),
                  (_url("search:search"), {"q": "Asset"}), (_url("search-api:search"), {"q": "Asset"})]
    return [(url, query) for url, query in candidates if url]


def index_for_search(assets):
    """bulk_create sends no signals, so index the world for search the way its signal handler would."""
    try:
        from search.indexing import reindex_asset
    except ImportError:
        return
    for asset in assets:
        reindex_asset(asset)


def _seen_in_listing(response, asset):
    return response.status_code == 200 and str(asset.uid).encode() in response.content


def _read_expected(reference, u, a, url):
    """Audit and rights pages need more than view: change, and manage_rights for the rights API."""
    if "/audit/" in url:
        return reference.allowed(u, "change", a)
    return reference.allowed(u, "view", a)


@settings(max_examples=12, **PROPERTY_SETTINGS)
@given(world=worlds(max_users=3, max_assets=4), data=st.data())
def test_endpoints_show_exactly_the_visible_assets_and_refuse_forbidden_mutations(stored_jpeg, world, data):
    reference = Reference(world)
    with rolled_back():
        users, _, assets = build(world, stored_file=stored_jpeg)
        index_for_search(assets)
        u = data.draw(st.integers(0, len(users) - 1), label="user")
        client = Client()
        client.force_login(users[u])
        for url, query in list_urls():
            response = client.get(url, query)
            for a, asset in enumerate(assets):
                assert _seen_in_listing(response, asset) == (a in reference.visible(u)), (url, a)
        a = data.draw(st.integers(0, len(assets) - 1), label="asset")
        for url in detail_urls(assets[a]):
            response = client.get(url)
            expected = _read_expected(reference, u, a, url)
            assert (response.status_code == 200) == expected, (url, response.status_code)
            if not expected:
                assert response.status_code in (302, 401, 403, 404), (url, response.status_code)
        _check_signed_url(client, reference, u, a, assets[a])
        _check_mutations(client, reference, u, a, assets[a])


def _check_signed_url(client, reference, u, a, asset):
    url = _url("governance-api:signed-url", uid=asset.uid)
    response = client.post(url, {"rendition": "width-320|format-jpeg"}, content_type="application/json")
    if not reference.allowed(u, "download", a):
        assert response.status_code in (401, 403, 404), response.status_code
        return
    assert response.status_code == 201, response.content[:200]
    assert Client().get(response.json()["url"]).status_code == 200


def _check_mutations(client, reference, u, a, asset):
    """A forbidden mutation is answered 403/404 and changes nothing; an allowed one succeeds."""
    mutations = [
        ("manage_rights", _url("governance-api:rights", uid=asset.uid), "put",
         {"licence_type": "cc0", "holder": "Someone"}),
        ("moderate", _url("governance-api:moderate", uid=asset.uid), "post", {"decision": "approve", "reason": "ok"}),
        ("delete", _url("governance-api:trash", uid=asset.uid), "post", {}),
    ]
    for action, url, method, body in mutations:
        if url is None:
            continue
        before = Asset.objects.values("moderation_state", "deleted_at").get(pk=asset.pk)
        rights_before = UsageRights.objects.values("licence_type").get(asset=asset)
        response = getattr(client, method)(url, body, content_type="application/json")
        if reference.allowed(u, action, a):
            assert response.status_code in (200, 201, 204), (url, response.status_code, response.content[:200])
        else:
            assert response.status_code in (401, 403, 404), (url, response.status_code)
            assert Asset.objects.values("moderation_state", "deleted_at").get(pk=asset.pk) == before
            assert UsageRights.objects.values("licence_type").get(asset=asset) == rights_before
