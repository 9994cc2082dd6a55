"""The enrichment panel on the asset page: verdict, labels with their why, boxes over the preview, jobs."""
import re

import pytest
from django.template import Context, Template

from assets.models import Asset
from enrichment.services import reject_label
from enrichment.services.capabilities import PIPELINE
from enrichment.services.jobs import run_step
from ontology.models import Concept

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("concepts")]


def render_panel(asset):
    asset = Asset.objects.select_related("current_version").get(pk=asset.pk)
    return Template("{% load enrichment_tags %}{% enrichment_panel asset %}").render(Context({"asset": asset}))


def test_panel_shows_what_was_found_and_why(version_with_rendition, actor):
    version = version_with_rendition("astronaut")
    for capability in PIPELINE:
        run_step(capability, [version])
    reject_label(version.asset, Concept.objects.get(name="person.n.01"), actor=actor)

    html = render_panel(version.asset)

    assert "Checked, nothing flagged" in html and "unsafe score" in html
    boxes = re.findall(r'class="box box-(object|face)" style="left: ([\d.]+)%; top: ([\d.]+)%; width: ([\d.]+)%', html)
    assert ("face" in {kind for kind, *_ in boxes}) and "object" in {kind for kind, *_ in boxes}
    assert all(0 <= float(left) <= 100 and 0 < float(width) <= 100 for _, left, _, width in boxes)
    assert f"/files/{version.asset.uid}/v1/r/" in html  # the preview under the boxes
    assert "yolox_nano.onnx" in html and "rejected by a person" in html and "organism" in html
    for capability in ("Moderation", "Classification", "Object detection", "Face detection", "Text (OCR)"):
        assert f'<th scope="row">{capability}</th>' in html
    assert "CLIP disabled" in html


def test_panel_before_enrichment(version_with_rendition):
    html = render_panel(version_with_rendition("coffee").asset)
    assert "Not enriched yet." in html and "No labels yet." in html
