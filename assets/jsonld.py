"""Schema.org ImageObject for an asset: embedded in its page and served by the API for other systems.

Only properties with a value are emitted, and every value is plain JSON (dates as ISO strings).
"""
import re

from django.conf import settings
from django.urls import reverse

from assets.signals import answers, image_object_properties
from assets.templatetags.asset_images import rendition_url

THUMBNAIL_SPEC = "width-320|format-jpeg"
PIXEL = "E37"  # UN/CEFACT unit code for "pixel", as schema.org's QuantitativeValue expects


def absolute_url(path, request=None):
    """``path`` (absolute, as ``reverse`` gives it) with the request's origin, or ``SITE_URL`` without a request.
    The origin is worked out once per request: a page of 50 assets names ~600 URLs."""
    if request is None:
        return settings.SITE_URL.rstrip("/") + path
    origin = getattr(request, "lumen_origin", None)
    if origin is None:
        origin = request.lumen_origin = request.build_absolute_uri("/")[:-1]
    return origin + path


def image_object(asset, request=None):
    version = asset.current_version
    metadata = version.metadata if version else {}
    creator = _person(asset.creator)
    data = {
        "@context": "https://schema.org",
        "@type": "ImageObject",
        "identifier": str(asset.uid),
        "url": absolute_url(reverse("assets:detail", kwargs={"uid": asset.uid}), request),
        "name": asset.title,
        "caption": asset.caption,
        "description": asset.caption,
        "accessibilitySummary": asset.alt_text,
        "creator": creator,
        "creditText": asset.credit,
        "copyrightNotice": asset.copyright,
        "copyrightHolder": _copyright_holder(asset.copyright, creator),
        **rights_properties(metadata.get("rights_usage_terms")),
        "dateCreated": metadata.get("taken_at"),
        "keywords": asset.keywords,
        "contentLocation": _place(metadata),
        "exifData": _exif_properties(metadata),
    }
    if version is not None:
        data.update({
            "contentUrl": absolute_url(
                reverse("assets:original", kwargs={"uid": asset.uid, "number": version.number}), request
            ),
            "thumbnailUrl": _thumbnail_url(version, request),
            "encodingFormat": version.mime_type,
            "width": _pixels(version.width),
            "height": _pixels(version.height),
            "contentSize": f"{version.bytes} B",
            "uploadDate": version.created_at.isoformat(),
        })
    for properties in answers(image_object_properties, asset=asset):
        data.update(properties)  # e.g. rights recorded in the DAM, which outrank what the file claims
    return _compact(data)


def rights_properties(usage_terms):
    """Map the file's IPTC usage terms: a URL is a licence; prose is usage information for people to read."""
    terms = (usage_terms or "").strip()
    if not terms:
        return {}
    if re.match(r"^https?://\S+$", terms):
        return {"license": terms}
    return {"usageInfo": {"@type": "CreativeWork", "text": terms}}


def _thumbnail_url(version, request):
    """Only once the thumbnail exists (uses prefetched renditions when the caller loaded them)."""
    if not any(rendition.spec == THUMBNAIL_SPEC for rendition in version.renditions.all()):
        return None
    return absolute_url(rendition_url(version, THUMBNAIL_SPEC), request)


def _typed(schema_type, **properties):
    """A typed node, or None when none of its properties has a value."""
    values = _compact(properties)
    return {"@type": schema_type, **values} if values else None


def _person(name):
    return _typed("Person", name=name)


def _copyright_holder(notice, creator):
    """Notices are free text ("COPYRIGHT, 2005", a camera model…), so a holder is stated only when it names the creator."""
    if creator and notice and creator["name"].casefold() in notice.casefold():
        return creator
    return None


def _pixels(value):
    return _typed("QuantitativeValue", value=value, unitCode=PIXEL) if value else None


def _place(metadata):
    gps = metadata.get("gps") or {}
    has_position = gps.get("lat") is not None and gps.get("lon") is not None
    return _typed(
        "Place",
        geo=_typed("GeoCoordinates", latitude=gps["lat"], longitude=gps["lon"], elevation=gps.get("alt"))
        if has_position else None,
        address=_typed("PostalAddress", addressLocality=metadata.get("city"), addressCountry=metadata.get("country")),
    )


def camera_name(make, model):
    """"Canon" + "Canon EOS 40D" reads as "Canon EOS 40D"; "NIKON CORPORATION" + "NIKON D70" as "NIKON D70"."""
    make, model = (make or "").strip(), (model or "").strip()
    if not model:
        return make
    brand = make.split(" ")[0].casefold()
    return model if not make or model.casefold().startswith(brand) else f"{make} {model}"


def _exif_properties(metadata):
    f_number, focal_length, exposure = metadata.get("f_number"), metadata.get("focal_length_mm"), metadata.get("exposure_time")
    facts = {
        "Camera": camera_name(metadata.get("camera_make"), metadata.get("camera_model")),
        "Lens": metadata.get("lens"),
        "Exposure time": f"{exposure} s" if exposure else None,
        "Aperture": f"f/{f_number:g}" if isinstance(f_number, (int, float)) else None,
        "ISO": metadata.get("iso"),
        "Focal length": f"{focal_length:g} mm" if isinstance(focal_length, (int, float)) else None,
    }
    return [{"@type": "PropertyValue", "name": name, "value": value} for name, value in facts.items() if value] or None


def _compact(data):
    """Drop empty values so the document only states what is known."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}
