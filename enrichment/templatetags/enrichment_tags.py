"""``{% enrichment_panel asset can_change=... %}``: what the models found, with boxes drawn over the preview,
and for those who may change the asset, forms to reject, restore and add labels."""
from django import template

from assets.templatetags.asset_images import rendition_url
from enrichment.forms import AddLabelForm
from enrichment.services.working_image import working_rendition
from enrichment.summary import summarise

register = template.Library()


def _placed(detection, version):
    """Box position in % of the displayed image, so it scales with the preview."""
    return {
        "detection": detection,
        "left": 100 * detection.x / version.width,
        "top": 100 * detection.y / version.height,
        "width": 100 * detection.w / version.width,
        "height": 100 * detection.h / version.height,
    }


@register.inclusion_tag("enrichment/_panel.html")
def enrichment_panel(asset, can_change=False):
    """``can_change``: the page's answer from the permission gate; it shows the label review forms."""
    summary = summarise(asset)
    if summary is None:
        return {"asset": asset, "summary": None}
    preview = working_rendition(summary.version)
    return {
        "asset": asset,
        "summary": summary,
        "label_form": AddLabelForm() if can_change else None,
        "preview_url": rendition_url(preview) if preview else None,
        "boxes": [_placed(d, summary.version) for d in summary.objects + summary.faces],
    }
