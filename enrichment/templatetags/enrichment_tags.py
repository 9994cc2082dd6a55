"""``{% enrichment_panel asset can_change=... %}``: what the models found, with boxes drawn over the preview,
and for those who may change the asset, forms to reject, restore and add labels."""
from django import template

from assets.templatetags.asset_images import rendition_url
from enrichment.forms import AddLabelForm
from enrichment.services.working_image import working_rendition
from enrichment.summary import summarise

register = template.Library()

# What each step does, in a person's words (the capability's name, e.g. "CLIP embedding", is for experts).
STEP_WORDS = {
    "moderation": "Check for unsafe content", "classify": "Recognise what is shown", "detect": "Find objects",
    "faces": "Find faces", "ocr": "Read text in the image", "similarity": "Find look-alikes",
    "clip": "Find it by description", "anonymise": "Blur faces",
}


@register.filter
def step_words(capability):
    return STEP_WORDS.get(capability, str(capability).replace("_", " ").capitalize())


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
