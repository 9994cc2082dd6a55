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

    assert "Checked, nothing flagged" in html and "% likely to be unsafe" in html
    boxes = re.findall(r'class="box box-(object|face)" style="left: ([\d.]+)%; top: ([\d.]+)%; width: ([\d.]+)%', html)
    assert ("face" in {kind for kind, *_ in boxes}) and "object" in {kind for kind, *_ in boxes}
    assert all(0 <= float(left) <= 100 and 0 < float(width) <= 100 for _, left, _, width in boxes)
    assert f"/files/{version.asset.uid}/v1/r/" in html  # the preview under the boxes
    assert "rejected by a person" in html and "organism" in html
    for step in ("Check for unsafe content", "Recognise what is shown", "Find objects", "Find faces",
                 "Read text in the image", "Find it by description"):
        assert f'<th scope="row">{step}</th>' in html
    assert "Not set up on this server" in html and "LUMEN_CLIP_ENABLED" not in html
    words, expert = html.split('<details class="expert-details">')
    assert "yolox_nano.onnx" in expert and ".onnx" not in words, "model files only in the expert details"


def test_panel_before_enrichment(version_with_rendition):
    html = render_panel(version_with_rendition("coffee").asset)
    assert "Not enriched yet." in html and "No labels yet." in html
