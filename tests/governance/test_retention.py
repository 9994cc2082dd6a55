"""Trash, restore, purge (files only when no other asset shares them), legal hold, and the daily purge job."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from assets import permissions
from assets.models import Asset, AssetVersion, Rendition
from core.audit import Actor
from core.models import AuditEntry
from core.refusals import Refused
from governance.services.retention import purge, purge_expired_trash, set_legal_hold, trash

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_user, make_collection, make_asset):
    owner, editor, admin = make_user("owner"), make_user("editor"), make_user("boss")
    news = make_collection("News", owner="contributor", editor="editor", boss="admin")
    return owner, editor, admin, make_asset(owner, collections=[news], title="Harbour")


def test_trash_hides_the_asset_everywhere_but_the_trash_and_restore_brings_it_back(desk, login):
    owner, editor, admin, asset = desk
    trash(asset, actor=Actor(editor), reason="duplicate")
    assert not permissions.visible_assets(owner).filter(pk=asset.pk).exists()
    assert list(permissions.trashed_assets(owner)) == [asset]
    client = login(owner)
    assert client.get(reverse("assets:detail", kwargs={"uid": asset.uid})).status_code == 404
    assert "Harbour" in client.get(reverse("governance:trash")).content.decode()
    response = client.post(reverse("governance:restore", kwargs={"uid": asset.uid}))
    assert response.status_code == 302
    assert permissions.can_view(owner, asset)
    actions = list(AuditEntry.objects.filter(asset=asset).order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["asset.trash", "asset.restore"]


def test_viewers_cannot_trash_and_only_admins_purge(desk, make_user, grant):
    owner, editor, admin, asset = desk
    viewer = make_user("viewer")
    grant(asset.collections.get(), "viewer", "viewer")
    with pytest.raises(PermissionDenied):
        trash(asset, actor=Actor(viewer))
    trash(asset, actor=Actor(owner))
    with pytest.raises(PermissionDenied):
        purge(asset, actor=Actor(owner))
    purge(asset, actor=Actor(admin))
    assert not Asset.objects.filter(pk=asset.pk).exists()


def test_legal_hold_blocks_trash_and_purge_and_only_site_admins_set_it(desk, make_user):
    owner, editor, admin, asset = desk
    root = make_user("root", is_superuser=True)
    with pytest.raises(PermissionDenied):
        set_legal_hold(asset, True, actor=Actor(admin))
    set_legal_hold(asset, True, actor=Actor(root), reason="litigation 2026-114")
    with pytest.raises(Refused, match="legal hold"):
        trash(asset, actor=Actor(editor))
    set_legal_hold(asset, False, actor=Actor(root))
    trash(asset, actor=Actor(editor))
    set_legal_hold(asset, True, actor=Actor(root))
    with pytest.raises(Refused, match="legal hold"):
        purge(asset, actor=Actor(root))
    assert purge_expired_trash(now=timezone.now() + timedelta(days=365)) == 0
    assert AuditEntry.objects.filter(asset=asset, action="asset.legal_hold", after__reason="litigation 2026-114").exists()


def test_purge_needs_the_trash_first(desk):
    owner, editor, admin, asset = desk
    with pytest.raises(Refused, match="trash"):
        purge(asset, actor=Actor(admin))


def _add_rendition(version, name):
    stored = default_storage.save(name, ContentFile(b"rendition bytes"))
    return Rendition.objects.create(version=version, spec="width-320|format-webp", file=stored, format="webp",
                                    width=32, height=24, bytes=15)


def test_purge_removes_rows_and_files_but_keeps_a_file_another_asset_shares(
        desk, make_user, django_capture_on_commit_callbacks):
    from assets.services.ingest import ingest_file

    owner, editor, admin, asset = desk
    original = asset.current_version.file.name
    rendition = _add_rendition(asset.current_version, f"tests/retention/{asset.uid}.webp")
    with default_storage.open(original) as handle:
        twin = ingest_file(handle, filename="same.png", actor=Actor(make_user("stranger"))).asset
    assert twin.pk != asset.pk and twin.current_version.file.name == original
    trash(asset, actor=Actor(owner))
    with django_capture_on_commit_callbacks(execute=True):
        purge(asset, actor=Actor(admin))
    assert not AssetVersion.objects.filter(asset_id=asset.pk).exists()
    assert not default_storage.exists(rendition.file.name)
    assert default_storage.exists(original), "the twin still uses the content-addressed original"
    entry = AuditEntry.objects.get(action="asset.purge")
    assert entry.asset is None and entry.before["uid"] == str(asset.uid) and entry.actor == admin
    assert AuditEntry.objects.filter(object_id=str(asset.current_version.pk), action="asset.upload").exists()
    trash(twin, actor=Actor(twin.owner))
    with django_capture_on_commit_callbacks(execute=True):
        purge(twin, actor=Actor(make_user("root", is_superuser=True)))
    assert not default_storage.exists(original)


def test_trash_api_and_trash_list_restore_and_purge(desk, login, client):
    owner, editor, admin, asset = desk
    login(editor)
    trashed = client.post(reverse("governance-api:trash", kwargs={"uid": asset.uid}), {"reason": "old"},
                          content_type="application/json")
    assert trashed.status_code == 200 and trashed.json()["deleted_by"] == "editor"
    assert client.get(reverse("api:asset-detail", kwargs={"uid": asset.uid})).status_code == 404
    assert [item["uid"] for item in client.get(reverse("governance-api:trash-list")).json()] == [str(asset.uid)]
    assert client.delete(reverse("governance-api:trashed-asset", kwargs={"uid": asset.uid})).status_code == 403
    restored = client.post(reverse("governance-api:restore", kwargs={"uid": asset.uid}))
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    client.post(reverse("governance-api:trash", kwargs={"uid": asset.uid}))
    client.logout()
    login(admin)
    assert client.delete(reverse("governance-api:trashed-asset", kwargs={"uid": asset.uid})).status_code == 204
    assert not Asset.objects.filter(pk=asset.pk).exists()


def test_legal_hold_api_refuses_everyone_but_site_admins(desk, make_user, login, client):
    owner, editor, admin, asset = desk
    url = reverse("governance-api:legal-hold", kwargs={"uid": asset.uid})
    assert login(admin).put(url, {"held": True}, content_type="application/json").status_code == 403
    client.logout()
    login(make_user("root", is_superuser=True))
    assert client.put(url, {"held": True, "reason": "audit"}, content_type="application/json").json()["legal_hold"]
    refused = client.post(reverse("governance-api:trash", kwargs={"uid": asset.uid}))
    assert refused.status_code == 409 and refused.json()["error"] == "legal_hold"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_daily_job_purges_only_what_outlived_the_trash_period(celery_worker, make_user, settings):
    from governance.tasks import purge_expired_trash as purge_task

    owner = make_user("owner")
    old, recent, held = (Asset.objects.create(title=title, owner=owner, status="ready")
                         for title in ("old", "recent", "held"))
    long_ago = timezone.now() - timedelta(days=settings.LUMEN_TRASH_DAYS + 1)
    Asset.objects.filter(pk__in=[old.pk, held.pk]).update(deleted_at=long_ago)
    Asset.objects.filter(pk=held.pk).update(legal_hold=True)
    Asset.objects.filter(pk=recent.pk).update(deleted_at=timezone.now())
    assert purge_task.delay().get(timeout=60) == 1
    assert set(Asset.objects.values_list("title", flat=True)) == {"recent", "held"}
    entry = AuditEntry.objects.get(action="asset.purge")
    assert entry.actor is None and entry.before["title"] == "old"
