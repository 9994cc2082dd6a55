"""Fixtures for governance tests: users, collections with role grants, and real ingested assets."""
import io
import itertools

import pytest
from PIL import Image

from assets.models import Collection
from assets.services.audit import SYSTEM, Actor
from assets.services.ingest import ingest_file
from governance.services.roles import grant_role

_colours = itertools.count(1)


def image_bytes(fmt="PNG", size=(40, 30)):
    """A small image whose bytes differ on every call, so ingest never returns a twin."""
    n = next(_colours)
    buffer = io.BytesIO()
    Image.new("RGB", size, ((n * 37) % 256, (n * 91) % 256, (n * 13) % 256)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def make_user(django_user_model):
    def make(name, **extra):
        return django_user_model.objects.create_user(name, f"{name}@example.com", "correct-horse-battery", **extra)
    return make


@pytest.fixture
def make_collection(db):
    def make(name, **grants):
        """``grants``: username or group name -> role, e.g. ``make_collection("News", bob="editor")``."""
        collection = Collection.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        for who, role in grants.items():
            _grant(collection, who, role)
        return collection
    return make


@pytest.fixture
def grant(db):
    """``grant(collection, "bob", "viewer")``: through the service, so grants are audited like real ones."""
    return _grant


def _grant(collection, who, role):
    from django.contrib.auth.models import Group, User

    user = User.objects.filter(username=who).first()
    group = None if user else Group.objects.get(name=who)
    return grant_role(collection, role, actor=SYSTEM, user=user, group=group)


@pytest.fixture
def make_asset(db):
    def make(owner, *, collections=(), fmt="PNG", title=""):
        data = image_bytes(fmt)
        return ingest_file(io.BytesIO(data), filename=f"upload.{fmt.lower()}", actor=Actor(user=owner),
                           collections=collections, title=title).asset
    return make


@pytest.fixture
def login(client):
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in
