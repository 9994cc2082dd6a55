"""DICOM and NIfTI as first-class uploads: the original is kept as sent, a preview image stands for it.

Both are recognised by their bytes (never the name). The preview, an 8-bit RGB image of one frame or
slice, is what renditions, enrichment and the asset page see where other formats show their decoded
pixels; the version's width and height are the preview's. Metadata leaves out everything that
identifies the patient (see ``deidentify``); the stored original still holds it.
"""
import hashlib

from PIL import Image

from assets.services.facts import ImageFacts
from assets.services.medical import dicom, nifti

MEDICAL_FORMATS = ("dicom", "nifti")


def sniff_medical(data):
    """"dicom" or "nifti" from the bytes (a gzip stream's header only), else None."""
    if dicom.is_part10(data) or dicom.looks_like_bare_dataset(data):
        return "dicom"
    if nifti.nifti_kind(nifti.nifti_head(data)) is not None:
        return "nifti"
    return None


def inspect_medical(data, fmt):
    """Read, preview and describe an upload ``sniff_medical`` recognised; Refused when it is refused."""
    if fmt == "dicom":
        dataset = dicom.read_dicom(data)
        preview = dicom.dicom_preview(dataset)
        metadata, raw = dicom.dicom_metadata(dataset)
        mime_type = "application/dicom"
    else:
        image = nifti.read_nifti(data)
        preview = nifti.nifti_preview(image)
        metadata, raw = nifti.nifti_metadata(image)
        mime_type = nifti.mime_type(data)
    return ImageFacts(format=fmt, mime_type=mime_type, width=preview.width, height=preview.height,
                      sha256=hashlib.sha256(data).hexdigest(), size=len(data), metadata=metadata, raw_metadata=raw)


def preview_image(fmt, data):
    """The full-size preview of a stored DICOM or NIfTI original (RGB, upright, 8 bits)."""
    if fmt == "dicom":
        return dicom.dicom_preview(dicom.read_dicom(data))
    return nifti.nifti_preview(nifti.read_nifti(data))


def decode_preview(fmt, data, width):
    """The preview, no wider than ``width`` (renditions are never upscaled, so a smaller one is kept)."""
    image = preview_image(fmt, data)
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))), Image.Resampling.LANCZOS)
    return image


__all__ = ["MEDICAL_FORMATS", "decode_preview", "inspect_medical", "preview_image", "sniff_medical"]
