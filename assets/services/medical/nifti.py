"""NIfTI-1 and NIfTI-2 volumes (.nii, and .nii.gz): header checks, a bounded gzip read, the middle axial slice.

The header says how many bytes the volume has; a compressed upload is inflated in chunks (never kept)
to prove it holds that much and not far more, before nibabel reads the one slice the preview needs.
"""
import gzip
import io
import math
import struct

import nibabel
import numpy as np
from django.conf import settings
from nibabel.fileholders import FileHolder
from nibabel.spatialimages import HeaderDataError

from assets.services.facts import decoder_said, human_size, too_many_pixels
from assets.services.medical.compression import GZIP_MAGIC, GZIP_WBITS, inflate_head, inflated_size
from assets.services.medical.display import robust_window, scale_to_unit, unit_to_image, with_physical_aspect
from assets.services.metadata import compact, raw_section
from core.refusals import Refused

HEAD_BYTES = 544  # a NIfTI-2 header and the extension flag; NIfTI-1 needs 352
TRAILING_SLACK = 1 << 20  # bytes after the declared data that are tolerated (padding, tools' leftovers)
SPACE_UNITS_MM = {"meter": 1000.0, "mm": 1.0, "micron": 0.001, "unknown": 1.0}
TIME_UNITS_S = {"sec": 1.0, "msec": 0.001, "usec": 0.000001}
CIFTI_INTENTS = range(3000, 3100)


class Kind:
    """One NIfTI flavour: header size, where its magic sits, and nibabel's classes for it."""

    def __init__(self, name, size, magic_at, single, pair, header_class, image_class):
        self.name, self.size, self.magic_at = name, size, magic_at
        self.single, self.pair = single, pair
        self.header_class, self.image_class = header_class, image_class

    def matches(self, head):
        sizes = (struct.pack("<i", self.size), struct.pack(">i", self.size))
        magic = head[self.magic_at:self.magic_at + len(self.single)]
        return head[:4] in sizes and magic in (self.single, self.pair)

    def is_pair(self, head):
        return head[self.magic_at:self.magic_at + len(self.pair)] == self.pair


KINDS = (
    Kind("NIfTI-1", 348, 344, b"n+1\x00", b"ni1\x00", nibabel.Nifti1Header, nibabel.Nifti1Image),
    Kind("NIfTI-2", 540, 4, b"n+2\x00\r\n\x1a\n", b"ni2\x00\r\n\x1a\n", nibabel.Nifti2Header, nibabel.Nifti2Image),
)


def is_gzip(data):
    return data.startswith(GZIP_MAGIC)


def nifti_head(data):
    """The first header bytes, inflated (only those) when the upload is gzip-compressed."""
    return inflate_head(data, HEAD_BYTES, GZIP_WBITS) if is_gzip(data) else data[:HEAD_BYTES]


def nifti_kind(head):
    return next((kind for kind in KINDS if kind.matches(head)), None)


def mime_type(data):
    return "application/gzip" if is_gzip(data) else "application/octet-stream"


def read_nifti(data):
    """The image (its voxels still on disk, in ``data``) of a NIfTI upload; Refused otherwise."""
    head = nifti_head(data)
    kind = nifti_kind(head)
    if kind is None:
        raise Refused("The file is not a NIfTI image.", code="unsupported_type", status=415)
    if kind.is_pair(head):
        raise Refused(f"This is the header of a {kind.name} .hdr/.img pair, without its voxels. "
                      "Convert the pair to a single .nii or .nii.gz file and upload that.",
                      code="unsupported_type", status=415)
    try:
        header = kind.header_class(binaryblock=head[:kind.size], check=True)
        shape = header.get_data_shape()
        itemsize = header.get_data_dtype().itemsize
        intent = int(header["intent_code"])
    except (HeaderDataError, ValueError, TypeError, struct.error) as exc:
        raise Refused("This NIfTI file cannot be read: its header is damaged.", code="corrupt",
                      expert_details=decoder_said(exc))
    _check_shape(shape, intent)
    declared = _data_offset(header, kind) + math.prod(shape) * itemsize
    _check_holds(data, declared)
    stream = gzip.GzipFile(fileobj=io.BytesIO(data)) if is_gzip(data) else io.BytesIO(data)
    try:
        return kind.image_class.from_file_map({"header": FileHolder(fileobj=stream),
                                               "image": FileHolder(fileobj=stream)})
    except Exception as exc:  # noqa: BLE001 - nibabel reports bad files with many exception types
        raise Refused("This NIfTI file cannot be read: it is damaged or incomplete.", code="corrupt",
                      expert_details=decoder_said(exc))


def _check_shape(shape, intent):
    if intent in CIFTI_INTENTS:
        raise Refused("This is a CIFTI-2 file (a matrix over brain surfaces and voxels), not an image volume.",
                      code="unsupported_type", status=415)
    if len(shape) < 2 or min(shape) < 1:
        raise Refused(f"The NIfTI image has no usable size ({'×'.join(map(str, shape)) or 'no dimensions'}).",
                      code="corrupt")
    spatial = sorted(shape[:3])
    if math.prod(spatial[-2:]) > settings.LUMEN_MAX_PIXELS:
        raise too_many_pixels(f"{'×'.join(map(str, shape[:3]))} voxels")


def _data_offset(header, kind):
    """Where the voxels start; nibabel reads a single file's unset (0) offset as "right after the header"."""
    minimum = kind.size + 4
    return max(int(header["vox_offset"]), minimum)


def _check_holds(data, declared):
    """The upload holds the data its header declares: not less (truncated), not far more (a bomb)."""
    limit = settings.LUMEN_MAX_UNCOMPRESSED_BYTES
    if declared > limit:
        raise Refused(f"The NIfTI header declares {declared / 1_048_576:.0f} MB of voxels; the limit is "
                      f"{limit / 1_048_576:.0f} MB (a possible decompression bomb).",
                      code="decompression_bomb", status=413)
    if is_gzip(data):
        ceiling = declared + TRAILING_SLACK
        try:
            size = inflated_size(data, GZIP_WBITS, ceiling)
        except EOFError:
            raise Refused("The compressed NIfTI file is incomplete: it ends before its data does.", code="corrupt")
        except Exception as exc:  # noqa: BLE001 - zlib.error
            raise Refused("The compressed NIfTI file is damaged: its gzip stream cannot be inflated.", code="corrupt",
                          expert_details=decoder_said(exc))
        if size > ceiling:
            raise Refused("The compressed NIfTI file inflates to far more than its header declares "
                          "(a possible decompression bomb).", code="decompression_bomb", status=413)
    else:
        size = len(data)
    if size < declared:
        raise Refused(f"The NIfTI file is incomplete: its header announces {human_size(declared)} of data, the file "
                      f"holds {human_size(size, unlike=declared)}.", code="corrupt")


def nifti_preview(image):
    """The middle axial slice of the first volume, in closest-canonical (RAS) orientation, displayed the
    radiological way (the patient's right on the left, anterior at the top), at the voxels' true aspect."""
    try:
        with np.errstate(all="ignore"):
            canonical = nibabel.as_closest_canonical(_middle_axial_slab(image))
            plane = np.asanyarray(canonical.dataobj)[:, :, 0]
            unit = _unit(plane, image.header)
    except Refused:
        raise
    except Exception as exc:  # noqa: BLE001 - truncated or inconsistent voxel data
        raise Refused("The NIfTI image cannot be shown: its voxel data is damaged or incomplete.", code="corrupt",
                      expert_details=decoder_said(exc))
    upright = np.swapaxes(unit[::-1, ::-1], 0, 1)  # rows: anterior first; columns: patient's right first
    column_spacing, row_spacing = canonical.header.get_zooms()[:2]
    return with_physical_aspect(unit_to_image(upright), row_spacing, column_spacing)


def _middle_axial_slab(image):
    """The one slice (of the first volume) that ends up in the middle of the superior axis once canonical,
    as a 3D image one voxel thick; only that slice is read from the file."""
    if len(image.shape) == 2:
        return image.__class__(np.asanyarray(image.dataobj)[..., np.newaxis], image.affine, image.header)
    orientation = nibabel.orientations.io_orientation(image.affine)
    axis = int(np.flatnonzero(orientation[:, 0] == 2)[0])
    size = image.shape[axis]
    middle = size // 2
    index = size - 1 - middle if orientation[axis, 1] < 0 else middle
    slicer = [slice(None)] * 3
    slicer[axis] = slice(index, index + 1)
    return image.slicer[tuple(slicer) + (0,) * (len(image.shape) - 3)]


def _unit(plane, header):
    """Values in 0..1: RGB voxels as stored, complex ones by magnitude, the rest through a window
    (the header's display range when it sets one, else the robust percentile window)."""
    if plane.dtype.names:
        channels = np.stack([plane[name] for name in plane.dtype.names[:3]], axis=-1)
        return channels / 255.0
    values = np.abs(plane) if np.iscomplexobj(plane) else plane.astype(np.float64)
    low, high = float(header["cal_min"]), float(header["cal_max"])
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        low, high = robust_window(values)
    return scale_to_unit(values, low, high)


def nifti_metadata(image):
    """(normalised, raw): sizes in millimetres and seconds; extensions by code only (their content, such as
    an embedded DICOM header, may identify the patient)."""
    header = image.header
    shape = image.shape
    zooms = [float(zoom) for zoom in header.get_zooms()]
    space_unit, time_unit = header.get_xyzt_units()
    to_mm = SPACE_UNITS_MM.get(space_unit, 1.0)
    volumes = math.prod(shape[3:]) if len(shape) > 3 else None
    intent = header.get_intent()[0]
    medical = compact({
        "kind": "NIfTI-2" if isinstance(image, nibabel.Nifti2Image) else "NIfTI-1",
        "dimensions": [int(size) for size in shape[:3]],
        "volumes": int(volumes) if volumes and volumes > 1 else None,
        "voxel_size_mm": [round(zoom * to_mm, 4) for zoom in zooms[:3]],
        "repetition_time_s": round(zooms[3] * TIME_UNITS_S[time_unit], 6)
        if volumes and len(zooms) > 3 and time_unit in TIME_UNITS_S and zooms[3] > 0 else None,
        "orientation": "".join(nibabel.aff2axcodes(image.affine)),
        "data_type": str(header.get_data_dtype()),
        "intent": intent if intent != "none" else None,
    })
    fields = ((name, _header_value(header[name])) for name in header.keys() if name not in ("sizeof_hdr", "magic"))
    raw = raw_section(fields)
    extensions = [{"code": int(extension.get_code()), "bytes": int(extension.get_sizeondisk())}
                  for extension in header.extensions]
    if extensions:
        raw["extensions"] = extensions
    return {"medical": medical}, {"nifti": raw}


def _header_value(value):
    value = value.tolist() if hasattr(value, "tolist") else value
    if isinstance(value, bytes):
        value = value.split(b"\x00", 1)[0].decode("latin-1").strip()
    return value
