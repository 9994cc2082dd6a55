"""Label review on the asset page through the test client: who may, what it changes, what people are told."""
import pytest
from django.test import Client
from django.urls import reverse

from assets.models import Collection
from assets.services.collections import add_to_collection
from core.audit import SYSTEM
from core.models import AuditEntry
from enrichment.models import Capability, LabelDecision, MachineLabel
from enrichment.services import reject_label
from enrichment.services.jobs import run_step
from enrichment.summary import SHOWN_FROM, summarise
from governance.services.roles import grant_role
from ontology.models import Concept

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("concepts")]


@pytest.fixture
def cat(version_with_rendition, actor, django_user_model):
    """A classified cat photo in a collection where ``viewer`` may look and ``editor`` may change."""
    version = version_with_rendition("chelsea")
    run_step(Capability.CLASSIFY, [version])
    news = Collection.objects.create(name="News", slug="news")
    add_to_collection(version.asset, news, actor=actor)
    for role in ("viewer", "editor"):
        user = django_user_model.objects.create_user(role, f"{role}@example.com", "correct-horse-battery")
        grant_role(news, role, actor=SYSTEM, user=user)
    return version


def as_user(client, django_user_model, username):
    client.force_login(django_user_model.objects.get(username=username))
    return client


def top_concept(version):
    return MachineLabel.objects.filter(version=version).first().concept


def url(name, asset, concept=None):
    kwargs = {"uid": asset.uid, **({"concept_id": concept.pk} if concept else {})}
    return reverse(f"enrichment:{name}", kwargs=kwargs)


def test_a_viewer_sees_no_review_forms_and_may_not_post_them(cat, client, django_user_model):
    viewer = as_user(client, django_user_model, "viewer")
    asset, concept = cat.asset, top_concept(cat)

    page = viewer.get(reverse("assets:detail", kwargs={"uid": asset.uid})).content.decode()
    assert concept.pref_label in page and url("reject_label", asset, concept) not in page
    assert url("add_label", asset) not in page

    for response in (viewer.post(url("reject_label", asset, concept)), viewer.post(url("undo_reject", asset, concept)),
                     viewer.post(url("add_label", asset), {"concept": "tabby"})):
        assert response.status_code == 403
    assert not LabelDecision.objects.exists()


def test_the_page_shows_sure_labels_and_keeps_the_models_weaker_guesses_behind_a_disclosure(
        cat, client, django_user_model):
    summary = summarise(cat.asset)
    assert summary.guesses, "the classifier keeps many faint guesses for a photo"
    assert all(label.confidence >= SHOWN_FROM[label.model.capability] for label in summary.labels)
    assert all(guess.confidence < SHOWN_FROM[guess.model.capability] for guess in summary.guesses)
    html = as_user(client, django_user_model, "viewer").get(
        reverse("assets:detail", kwargs={"uid": cat.asset.uid})).content.decode()
    before, disclosure = html.split('<details class="weak-labels">')
    disclosure = disclosure.split("</details>")[0]
    assert f"Show all guesses ({len(summary.guesses)} less sure)" in disclosure
    for guess in summary.guesses:
        assert f"<strong>{guess.concept.pref_label}</strong>" in disclosure
    for label in summary.labels:
        assert f"<strong>{label.concept.pref_label}</strong>" in before
    shown = {label.concept.pref_label for label in summary.labels}
    hidden = next(guess.concept.pref_label for guess in summary.guesses if guess.concept.pref_label not in shown)
    assert f"<strong>{hidden}</strong>" not in before


def test_an_editor_rejects_and_restores_a_machine_label(cat, client, django_user_model):
    editor = as_user(client, django_user_model, "editor")
    asset, concept = cat.asset, top_concept(cat)
    detail = reverse("assets:detail", kwargs={"uid": asset.uid})
    assert url("reject_label", asset, concept) in editor.get(detail).content.decode()

    response = editor.post(url("reject_label", asset, concept))
    assert response.status_code == 302 and response.url == f"{detail}#enrichment-heading"
    assert not MachineLabel.objects.effective().filter(version=cat, concept=concept).exists()
    entry = AuditEntry.objects.get(action="label.rejected")
    assert entry.actor.username == "editor" and entry.asset == asset
    page = editor.get(detail).content.decode()
    assert "rejected: search leaves it out" in page and url("undo_reject", asset, concept) in page

    response = editor.post(url("undo_reject", asset, concept), follow=True)
    assert "counts again" in response.content.decode()
    assert MachineLabel.objects.effective().filter(version=cat, concept=concept).exists()
    assert AuditEntry.objects.filter(action="label.undo_rejection", actor__username="editor").exists()


def test_an_editor_adds_a_label_by_word_and_is_told_when_the_word_does_not_name_one_concept(
        cat, client, django_user_model):
    editor = as_user(client, django_user_model, "editor")
    asset = cat.asset

    response = editor.post(url("add_label", asset), {"concept": "Great white sharks"}, follow=True)
    assert "Label “great white shark” added." in response.content.decode()
    shark = LabelDecision.objects.get(asset=asset)
    assert shark.concept.name == "great_white_shark.n.01" and shark.decision == LabelDecision.Decision.ADDED
    assert AuditEntry.objects.filter(action="label.added", actor__username="editor").count() == 1

    unknown = editor.post(url("add_label", asset), {"concept": "flibbertigibbet"}, follow=True).content.decode()
    assert "“flibbertigibbet” is not a label of any concept; try another word." in unknown
    ambiguous = editor.post(url("add_label", asset), {"concept": "crane"}, follow=True).content.decode()
    assert "“crane” can mean several things: “crane (wading bird)” (large long-necked wading bird" in ambiguous
    assert "“crane (lifting device)” (lifts and moves heavy objects" in ambiguous and "crane.n." not in ambiguous
    assert LabelDecision.objects.filter(asset=asset).count() == 1

    editor.post(url("add_label", asset), {"concept": "Crane (wading  bird)"})
    assert LabelDecision.objects.filter(asset=asset, concept=Concept.objects.get(name="crane.n.05")).exists()
    editor.post(url("add_label", asset), {"concept": "crane.n.04"})  # the WordNet name still works
    assert LabelDecision.objects.filter(asset=asset, concept=Concept.objects.get(name="crane.n.04")).exists()


def test_label_forms_need_post_and_csrf(cat, django_user_model):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(django_user_model.objects.get(username="editor"))
    asset, concept = cat.asset, top_concept(cat)
    assert strict.get(url("reject_label", asset, concept)).status_code == 405
    assert strict.post(url("reject_label", asset, concept)).status_code == 403  # no CSRF token
    assert not LabelDecision.objects.exists()

    reject_label(asset, concept, actor=SYSTEM)
    page = strict.get(reverse("assets:detail", kwargs={"uid": asset.uid})).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
