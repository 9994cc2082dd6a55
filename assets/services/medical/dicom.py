"""DICOM: read an upload defensively, draw one frame as the preview, describe it without the patient.

Part 10 files ("DICM" after a 128-byte preamble) are read as such. A bare dataset without preamble
and file meta is only taken when its first bytes look like the start of a dataset and pydicom finds
pixel data in it; anything else is refused, so random bytes never pass as DICOM.
"""
import io
import logging
import re
import struct
import warnings
from datetime import datetime, timedelta, timezone

import numpy as np
import pydicom
from django.conf import settings
from pydicom.filereader import _read_file_meta_info, read_preamble
from pydicom.multival import MultiValue
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi, get_decoder, pixel_array
from pydicom.pixels.utils import get_nr_frames
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from assets.services.facts import decoder_said, too_many_pixels
from assets.services.medical.compression import RAW_DEFLATE_WBITS, inflated_size
from assets.services.medical.deidentify import identifier_pattern, is_identifying, scrub
from assets.services.medical.display import robust_window, scale_to_unit, unit_to_image, with_physical_aspect
from assets.services.metadata import clean_text, compact, raw_section
from core.refusals import Refused

# pydicom logs every decoder failure with a traceback; ingest tells the uploader instead.
logging.getLogger("pydicom").setLevel(logging.CRITICAL)

PART10_OFFSET = 128
PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
BINARY_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}
# A preamble may hold a TIFF header (dual-format files) but not a program: a DICOM/executable
# polyglot (CVE-2019-11687) runs when someone opens the download.
EXECUTABLE_PREAMBLES = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")
FIRST_GROUPS = (0x0002, 0x0008)
EXPLICIT_VR = re.compile(rb"[A-Z]{2}")
DICOM_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
DICOM_TIME = re.compile(r"(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?")
DICOM_OFFSET = re.compile(r"([+-])(\d{2})(\d{2})")
ENCODINGS = {
    (True, True): ImplicitVRLittleEndian,
    (False, True): ExplicitVRLittleEndian,
    (False, False): ExplicitVRBigEndian,
}


def is_part10(head):
    return head[PART10_OFFSET:PART10_OFFSET + 4] == b"DICM"


def looks_like_bare_dataset(head):
    """A dataset written without preamble and file meta starts with a group 0002 or 0008 element,
    little endian, followed by either a VR (explicit VR) or a short value length (implicit VR)."""
    if len(head) < 8:
        return False
    group, _ = struct.unpack("<HH", head[:4])
    if group not in FIRST_GROUPS:
        return False
    return bool(EXPLICIT_VR.fullmatch(head[4:6])) or struct.unpack("<I", head[4:8])[0] <= 1024


def read_dicom(data):
    """The parsed dataset of an upload that holds a decodable image; Refused otherwise."""
    part10 = is_part10(data)
    if part10:
        if data.startswith(EXECUTABLE_PREAMBLES):
            raise Refused("The DICOM preamble holds a program (a DICOM/executable polyglot) and was refused.",
                          code="hostile")
        _refuse_deflate_bomb(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(io.BytesIO(data), force=not part10)
            has_pixels = any(keyword in dataset for keyword in PIXEL_KEYWORDS)
            rows, columns = int(dataset.get("Rows") or 0), int(dataset.get("Columns") or 0)
            frames = _frame_count(dataset) if has_pixels else 0
    except Exception as exc:  # noqa: BLE001 - pydicom reports broken files with many exception types
        if not part10:
            raise _not_an_image()
        raise Refused("This DICOM file cannot be read: it is damaged or incomplete (perhaps cut short while it was "
                      "copied). Export it again from the system that made it.", code="corrupt",
                      expert_details=decoder_said(exc))
    if not has_pixels:
        if not part10:
            raise _not_an_image()
        raise Refused(f"{_what_it_holds(dataset)} holds no image, so there is nothing to show; "
                      "only DICOM images are accepted.", code="no_image", status=415)
    if rows <= 0 or columns <= 0 or frames <= 0:
        raise Refused("The DICOM image has no size (Rows, Columns or Number of Frames is missing).",
                      code="corrupt")
    if rows * columns > settings.LUMEN_MAX_PIXELS:
        raise too_many_pixels(f"{columns}×{rows} pixels")
    _set_transfer_syntax(dataset)
    _require_decoder(dataset.file_meta.TransferSyntaxUID)
    return dataset


def _not_an_image():
    """Bytes that merely start like a bare dataset: refused without claiming they are DICOM."""
    return Refused("This file is not an image type we accept: it starts like a DICOM dataset without the "
                   "DICM file header, but holds no image this server can read.", code="unsupported_type", status=415)


def _refuse_deflate_bomb(data):
    """Deflated datasets are inflated whole by pydicom: measure them first, within the limit."""
    stream = io.BytesIO(data)
    try:
        read_preamble(stream, False)
        meta = _read_file_meta_info(stream)
    except Exception as exc:  # noqa: BLE001
        raise Refused("This DICOM file cannot be read: its file header (the meta information after the DICM mark) "
                      "is damaged.", code="corrupt", expert_details=decoder_said(exc))
    if meta.get("TransferSyntaxUID") != DeflatedExplicitVRLittleEndian:
        return
    limit = settings.LUMEN_MAX_UNCOMPRESSED_BYTES
    try:
        size = inflated_size(data[stream.tell():], RAW_DEFLATE_WBITS, limit)
    except Exception as exc:  # noqa: BLE001 - zlib.error, EOFError
        raise Refused("This DICOM file cannot be read: its compressed (deflated) contents are damaged or "
                      "incomplete.", code="corrupt", expert_details=decoder_said(exc))
    if size > limit:
        raise Refused(f"The deflated DICOM dataset inflates to more than {limit / 1_048_576:.0f} MB "
                      "(a possible decompression bomb).", code="decompression_bomb", status=413)


def _what_it_holds(dataset):
    name = _sop_class_name(dataset)
    return f"This DICOM file ({name})" if name else "This DICOM file"


def _set_transfer_syntax(dataset):
    """Bare datasets (and some broken Part 10 files) do not name their encoding; pydicom worked it out."""
    if not dataset.file_meta.get("TransferSyntaxUID"):
        implicit, little = dataset.original_encoding
        dataset.file_meta.TransferSyntaxUID = ENCODINGS.get((implicit, little), ExplicitVRLittleEndian)


def _require_decoder(transfer_syntax):
    try:
        available = get_decoder(transfer_syntax).is_available
    except NotImplementedError:
        available = False
    if not available:
        raise Refused(
            f"The DICOM pixel data is compressed as {transfer_syntax.name}, which this server cannot decode. "
            "Convert the file to an uncompressed transfer syntax (for example with dcmdjpls, dcmdjpeg or "
            "gdcmconv --raw) and upload it again.", code="unsupported_compression", status=415,
        )


def dicom_preview(dataset):
    """The middle frame, windowed as the file recommends, as an 8-bit RGB image of the right aspect."""
    index = _frame_count(dataset) // 2
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            unit = _displayable(pixel_array(dataset, index=index), dataset, index)
    except Exception as exc:  # noqa: BLE001 - decoders raise all sorts for damaged pixel data
        raise _undecodable(dataset.file_meta.TransferSyntaxUID, exc)
    spacing = _pixel_spacing(dataset)
    image = unit_to_image(unit)
    return with_physical_aspect(image, *spacing) if spacing else image


def _frame_count(dataset):
    return int(get_nr_frames(dataset, warn=False))


def _undecodable(transfer_syntax, exc):
    """Native pixel data that does not decode is damaged; compressed data may also be beyond our decoders
    (12-bit JPEG, unusual JPEG 2000 streams), which the message must not blame on the file."""
    details = decoder_said(exc)
    if not transfer_syntax.is_compressed:
        return Refused("The DICOM image cannot be shown: its pixel data is damaged or incomplete.", code="corrupt",
                       expert_details=details)
    return Refused(
        f"The DICOM pixel data, compressed as {transfer_syntax.name}, cannot be decoded by this server. "
        "If the file opens in a DICOM viewer, convert it to an uncompressed transfer syntax and upload it again.",
        code="unsupported_compression", status=415, expert_details=details,
    )


def _displayable(frame, dataset, index):
    """Values in 0..1: colour as stored, greys through the modality LUT then the VOI window."""
    photometric = str(dataset.get("PhotometricInterpretation") or "").strip().upper()
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(frame, dataset)
        return rgb / float(np.iinfo(rgb.dtype).max)
    if frame.ndim == 3:  # RGB; YBR was converted to RGB by pydicom
        bits = int(dataset.get("BitsStored") or 8)
        return frame[..., :3] / float(2**bits - 1)
    values = _modality_values(frame, dataset, index)
    unit = _voi_window(values, dataset, index)
    return 1.0 - unit if photometric == "MONOCHROME1" else unit


def _modality_values(frame, dataset, index):
    if "ModalityLUTSequence" in dataset:
        return apply_modality_lut(frame, dataset).astype(np.float64)
    slope = _first_number(_frame_value(dataset, index, "PixelValueTransformationSequence", "RescaleSlope"))
    intercept = _first_number(_frame_value(dataset, index, "PixelValueTransformationSequence", "RescaleIntercept"))
    return frame.astype(np.float64) * (1.0 if slope is None else slope) + (intercept or 0.0)


def _voi_window(values, dataset, index):
    center = _first_number(_frame_value(dataset, index, "FrameVOILUTSequence", "WindowCenter"))
    width = _first_number(_frame_value(dataset, index, "FrameVOILUTSequence", "WindowWidth"))
    function = str(_frame_value(dataset, index, "FrameVOILUTSequence", "VOILUTFunction") or "LINEAR").upper()
    if center is not None and width is not None and width > 0:
        return window(values, center, width, function)
    if dataset.get("VOILUTSequence"):
        bits = int(dataset.VOILUTSequence[0].LUTDescriptor[2])
        return scale_to_unit(apply_voi(np.rint(values).astype(np.int64), dataset), 0, 2**bits - 1)
    return scale_to_unit(values, *robust_window(values))


def window(values, center, width, function="LINEAR"):
    """The VOI LUT functions of PS3.3 C.11.2.1.2, to 0..1."""
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    if function == "LINEAR_EXACT":
        return np.clip((values - center) / width + 0.5, 0.0, 1.0)
    if width <= 1:
        return np.where(values > center - 0.5, 1.0, 0.0)
    return np.clip((values - (center - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)


def _frame_value(dataset, index, sequence, keyword):
    """``keyword`` at the top level, else in this frame's or the shared functional group (enhanced objects)."""
    if keyword in dataset:
        return dataset[keyword].value
    groups = []
    per_frame = dataset.get("PerFrameFunctionalGroupsSequence")
    if per_frame and index < len(per_frame):
        groups.append(per_frame[index])
    groups.extend(dataset.get("SharedFunctionalGroupsSequence") or [])
    for group in groups:
        for item in group.get(sequence) or []:
            if keyword in item:
                return item[keyword].value
    return None


def _first_number(value):
    if isinstance(value, (MultiValue, list, tuple)):
        value = value[0] if value else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _spacing_mm(dataset):
    """(row spacing, column spacing) in millimetres: between the centres of rows, and of columns."""
    return _positive_pair(_frame_value(dataset, 0, "PixelMeasuresSequence", "PixelSpacing")) \
        or _positive_pair(dataset.get("ImagerPixelSpacing"))


def _pixel_spacing(dataset):
    """Spacing in millimetres, else the stored vertical:horizontal pixel aspect ratio."""
    return _spacing_mm(dataset) or _positive_pair(dataset.get("PixelAspectRatio"))


def _positive_pair(value):
    numbers = [_first_number(item) for item in value] if isinstance(value, (MultiValue, list)) else []
    return tuple(numbers) if len(numbers) == 2 and None not in numbers and min(numbers) > 0 else None


def dicom_metadata(dataset):
    """(normalised, raw) without the attributes that identify people, free text scrubbed of the patient."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about each malformed value it meets
        return _metadata(dataset)


def _metadata(dataset):
    pattern = identifier_pattern(dataset)
    rows, columns = int(dataset.Rows), int(dataset.Columns)
    frames = _frame_count(dataset)
    spacing = _spacing_mm(dataset)
    medical = compact({
        "modality": _text(dataset, "Modality"),
        "body_part": _text(dataset, "BodyPartExamined"),
        "study_description": _text(dataset, "StudyDescription"),
        "series_description": _text(dataset, "SeriesDescription"),
        "kind": _sop_class_name(dataset),
        "dimensions": [columns, rows],
        "frames": frames if frames > 1 else None,
        "pixel_spacing_mm": [round(value, 4) for value in spacing] if spacing else None,
        "slice_thickness_mm": _first_number(dataset.get("SliceThickness")),
        "photometric": _text(dataset, "PhotometricInterpretation"),
        "bits_stored": int(dataset.BitsStored) if _first_number(dataset.get("BitsStored")) else None,
        "transfer_syntax": dataset.file_meta.TransferSyntaxUID.name,
        "burned_in_annotation": _text(dataset, "BurnedInAnnotation") == "YES" or None,
    })
    normalised = compact({
        "camera_make": _text(dataset, "Manufacturer"),
        "camera_model": _text(dataset, "ManufacturerModelName"),
        "software": _text(dataset, "SoftwareVersions"),
        "taken_at": _taken_at(dataset),
        "medical": medical,
    })
    return scrub(normalised, pattern), {"dicom": scrub(_raw_tags(dataset), pattern)}


def _text(dataset, keyword):
    try:
        value = dataset.get(keyword)
    except Exception:  # noqa: BLE001 - a malformed value is left out, not fatal
        return None
    if isinstance(value, MultiValue):
        value = ", ".join(str(item) for item in value)
    return clean_text(str(value)) if value not in (None, "") else None


def _sop_class_name(dataset):
    sop_class = dataset.get("SOPClassUID") or dataset.file_meta.get("MediaStorageSOPClassUID")
    name = getattr(sop_class, "name", None)
    return name if name and name != str(sop_class) else None


def _taken_at(dataset):
    """When the study (else series, acquisition, content) was made, ISO 8601, with the UTC offset if known."""
    offset = _utc_offset(_text(dataset, "TimezoneOffsetFromUTC"))
    for prefix in ("Study", "Series", "Acquisition", "Content"):
        taken = _dicom_datetime(_text(dataset, f"{prefix}Date"), _text(dataset, f"{prefix}Time"), offset)
        if taken:
            return taken
    return None


def _dicom_datetime(date, time, tzinfo):
    """DA "20040119" and TM "072731.123" as ISO text; None for missing or impossible dates."""
    date_match = DICOM_DATE.fullmatch(date or "")
    if not date_match:
        return None
    time_match = DICOM_TIME.fullmatch(time or "")
    hour, minute, second, fraction = time_match.groups() if time_match else (None, None, None, None)
    try:
        taken = datetime(*(int(part) for part in date_match.groups()), int(hour or 0), int(minute or 0),
                         int(second or 0), int((fraction or "0").ljust(6, "0")), tzinfo=tzinfo)
    except ValueError:
        return None
    return taken.isoformat()


def _utc_offset(text):
    match = DICOM_OFFSET.fullmatch(text or "")
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _raw_tags(dataset):
    """Every attribute that is neither identifying nor binary, by keyword, file meta included."""
    elements = [*dataset.file_meta, *dataset]
    return raw_section((element.keyword, value) for element in elements if not is_identifying(element)
                        and element.VR not in BINARY_VRS and (value := _raw_value(element)) is not None)


def _raw_value(element):
    try:
        value = element.value
    except Exception:  # noqa: BLE001 - a value pydicom cannot convert is left out
        return None
    if isinstance(value, (MultiValue, list, tuple)):
        return [item if isinstance(item, (int, float)) else str(item) for item in value]
    return value if isinstance(value, (int, float)) else str(value)
