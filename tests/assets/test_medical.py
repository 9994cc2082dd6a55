"""DICOM and NIfTI at the gate: sniffing by bytes, refusals, the preview image and metadata without the patient."""
import gzip
import json
import struct
import zlib

import numpy as np
import pytest

from assets.services.inspect import inspect_image
from assets.services.medical import decode_preview, preview_image, sniff_medical
from assets.services.medical.deidentify import IDENTIFIER_KEYWORDS, PROFILE_KEYWORDS
from core.refusals import Refused
from medical_samples import (
    IDENTIFIERS,
    IDENTIFYING_VALUES,
    nibabel_file,
    pydicom_file,
    synthetic_dicom,
    synthetic_nifti,
)


def refusal(data):
    with pytest.raises(Refused) as refused:
        inspect_image(data)
    return refused.value


def pixels(data):
    facts = inspect_image(data)
    return np.asarray(preview_image(facts.format, data).convert("L"), dtype=float)


def ct_slice(hounsfield, **attributes):
    """CT values stored as HU + 1024 (rescale intercept -1024), as scanners write them."""
    stored = (np.asarray(hounsfield) + 1024).astype(np.uint16)
    return synthetic_dicom(stored, RescaleIntercept=-1024, RescaleSlope=1, **attributes)


# --- sniffing ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("CT_small.dcm", "dicom"),  # its preamble is a TIFF header: DICOM must win over TIFF
    ("MR_small.dcm", "dicom"),
    ("zipMR.gz", None),  # gzip, but not of a NIfTI volume
])
def test_sniffing_dicom_files_shipped_with_pydicom(name, expected):
    assert sniff_medical(pydicom_file(name).read_bytes()) == expected


@pytest.mark.parametrize("name, expected", [
    ("anatomical.nii", "nifti"),
    ("example4d.nii.gz", "nifti"),
    ("example_nifti2.nii.gz", "nifti"),
    ("analyze.hdr", None),  # Analyze 7.5 has NIfTI's header size but not its magic
])
def test_sniffing_nifti_files_shipped_with_nibabel(name, expected):
    assert sniff_medical(nibabel_file(name).read_bytes()) == expected


def test_a_dicom_with_a_tiff_preamble_is_read_as_dicom_not_tiff():
    data = pydicom_file("CT_small.dcm").read_bytes()
    assert data.startswith(b"II*\x00")
    facts = inspect_image(data)
    assert (facts.format, facts.mime_type, facts.width, facts.height) == ("dicom", "application/dicom", 128, 128)


def test_nifti_facts_come_from_the_preview_and_the_compression_names_the_type():
    plain = inspect_image(nibabel_file("anatomical.nii").read_bytes())
    packed = inspect_image(nibabel_file("example4d.nii.gz").read_bytes())
    assert (plain.format, plain.mime_type) == ("nifti", "application/octet-stream")
    assert (packed.format, packed.mime_type, packed.width, packed.height) == ("nifti", "application/gzip", 128, 96)


def test_a_dataset_without_preamble_is_accepted_only_when_it_holds_an_image():
    bare = synthetic_dicom(np.full((16, 16), 100, np.uint16), bare=True)
    assert not bare[128:132] == b"DICM"
    assert inspect_image(bare).format == "dicom"

    no_image = refusal(pydicom_file("ExplVR_LitEndNoMeta.dcm").read_bytes())  # an RT plan without preamble
    assert (no_image.status, no_image.code) == (415, "unsupported_type")


def test_junk_that_starts_like_a_dataset_is_refused_without_being_called_dicom():
    junk = struct.pack("<HH", 0x0008, 0x0005) + b"CS" + bytes(range(256)) * 40
    refused = refusal(junk)
    assert (refused.status, refused.code) == (415, "unsupported_type")
    assert "not an image type we accept" in refused.message


# --- refusals ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kind", [("rtplan.dcm", "RT Plan Storage"), ("reportsi.dcm", "Basic Text SR Storage")])
def test_a_dicom_without_pixel_data_is_refused_and_says_what_it_is(name, kind):
    refused = refusal(pydicom_file(name).read_bytes())
    assert (refused.status, refused.code) == (415, "no_image")
    assert kind in refused.message and "holds no image" in refused.message


def test_truncated_dicom_files_are_refused_as_corrupt():
    whole = pydicom_file("MR_small.dcm").read_bytes()
    for data in (whole[: len(whole) * 3 // 4], pydicom_file("MR_truncated.dcm").read_bytes()):
        refused = refusal(data)
        assert (refused.status, refused.code) == (400, "corrupt")
        assert "incomplete" in refused.message


def test_truncated_nifti_files_are_refused_as_corrupt():
    plain = nibabel_file("anatomical.nii").read_bytes()
    packed = nibabel_file("example4d.nii.gz").read_bytes()
    for data in (plain[:-1000], packed[: len(packed) * 3 // 4]):
        refused = refusal(data)
        assert (refused.status, refused.code) == (400, "corrupt")
        assert "incomplete" in refused.message


def test_compressed_pixel_data_without_a_decoder_is_refused_with_advice_not_a_crash():
    refused = refusal(pydicom_file("MR_small_jpeg_ls_lossless.dcm").read_bytes())
    assert (refused.status, refused.code) == (415, "unsupported_compression")
    assert "JPEG-LS" in refused.message and "uncompressed transfer syntax" in refused.message


def test_a_gzip_bomb_disguised_as_nii_gz_is_refused_without_inflating_it():
    """A real NIfTI header for a 4×4×4 volume, then 64 MB of zeros: a few kilobytes uploaded."""
    header = synthetic_nifti(np.zeros((4, 4, 4), np.uint8))
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = deflater.compress(header) + b"".join(deflater.compress(bytes(1 << 20)) for _ in range(64)) + deflater.flush()
    assert len(bomb) < 200_000 and sniff_medical(bomb) == "nifti"
    refused = refusal(bomb)
    assert (refused.status, refused.code) == (413, "decompression_bomb")


def test_a_nifti_header_declaring_more_voxels_than_allowed_is_refused_before_reading_them(settings):
    settings.LUMEN_MAX_UNCOMPRESSED_BYTES = 8 * 1024 * 1024
    header = bytearray(synthetic_nifti(np.zeros((4, 4, 4), np.int16))[:352])
    struct.pack_into("<8h", header, 40, 3, 2048, 2048, 2048, 1, 1, 1, 1)  # dim[]: 2048³ voxels
    refused = refusal(gzip.compress(bytes(header)))
    assert (refused.status, refused.code) == (413, "decompression_bomb")
    assert "declares" in refused.message


def test_plain_gzip_is_refused_as_not_nifti():
    refused = refusal(gzip.compress(b"\x00" * 10_000))
    assert refused.status == 415 and "gzip" in refused.message


def test_a_deflated_dicom_inflating_past_the_limit_is_refused(settings):
    settings.LUMEN_MAX_UNCOMPRESSED_BYTES = 1024
    refused = refusal(pydicom_file("image_dfl.dcm").read_bytes())
    assert (refused.status, refused.code) == (413, "decompression_bomb")


def test_a_dicom_whose_preamble_is_a_program_is_refused():
    data = synthetic_dicom(np.zeros((8, 8), np.uint16), preamble=b"MZ" + b"\x90" * 126)
    assert refusal(data).code == "hostile"


def test_a_nifti_pair_header_and_a_cifti_file_are_refused_with_the_reason():
    pair = refusal(nibabel_file("nifti1.hdr").read_bytes())
    assert pair.status == 415 and ".hdr/.img" in pair.message
    cifti = refusal(nibabel_file("row_major.dconn.nii").read_bytes())
    assert cifti.status == 415 and "CIFTI" in cifti.message


# --- the DICOM preview ------------------------------------------------------------------------------------

def test_the_window_of_the_file_is_applied_after_the_rescale():
    """Soft-tissue window (centre 40 HU, width 400; a second window is ignored): air black, water grey, bone white."""
    hounsfield = np.repeat([[-1000, 40, 1000]], 30, axis=0).repeat(10, axis=1)
    grey = pixels(ct_slice(hounsfield, WindowCenter=[40, 300], WindowWidth=[400, 1500]))
    assert grey[:, :10].max() == 0 and grey[:, 20:].min() == 255
    assert abs(grey[:, 10:20].mean() - 128) <= 2


def test_monochrome1_is_shown_inverted():
    stored = np.repeat([[0, 1000]], 8, axis=0).repeat(8, axis=1).astype(np.uint16)
    normal = pixels(synthetic_dicom(stored))
    inverted = pixels(synthetic_dicom(stored, photometric="MONOCHROME1"))
    assert normal[0, 0] < normal[0, -1] and inverted[0, 0] > inverted[0, -1]
    assert np.allclose(inverted, 255 - normal, atol=1)


def test_without_a_window_a_few_hot_pixels_do_not_flatten_the_image():
    stored = np.tile(np.linspace(0, 1000, 100), (100, 1)).astype(np.uint16)
    stored[0, :5] = 60000
    grey = pixels(synthetic_dicom(stored))
    assert grey[50, 50] == pytest.approx(128, abs=6), "mid-range values stay mid-grey"


def test_a_multi_frame_file_shows_its_middle_frame():
    frames = np.stack([np.full((8, 8), value, np.uint16) for value in (0, 500, 1000)])
    grey = pixels(synthetic_dicom(frames, WindowCenter=500, WindowWidth=1001))
    assert np.all(grey == grey[0, 0]) and abs(grey[0, 0] - 128) <= 1


def test_rgb_and_ybr_files_give_the_same_colour_preview():
    rle = preview_image("dicom", pydicom_file("SC_rgb_rle.dcm").read_bytes())
    ybr = preview_image("dicom", pydicom_file("SC_ybr_full_422_uncompressed.dcm").read_bytes())
    assert rle.mode == ybr.mode == "RGB" and rle.size == ybr.size
    difference = np.abs(np.asarray(rle, dtype=float) - np.asarray(ybr, dtype=float)).mean()
    assert difference < 8
    red = synthetic_dicom(np.tile(np.array([200, 10, 10], np.uint8), (4, 6, 1)), photometric="RGB")
    assert preview_image("dicom", red).getpixel((0, 0)) == (200, 10, 10)


def test_non_square_pixels_are_shown_at_their_physical_aspect():
    """Rows 2 mm apart, columns 1 mm: 100×100 stored pixels are a 100 mm wide, 200 mm tall picture."""
    data = synthetic_dicom(np.zeros((100, 100), np.uint16), PixelSpacing=[2, 1])
    facts = inspect_image(data)
    assert (facts.width, facts.height) == (100, 200)
    assert decode_preview("dicom", data, 50).size == (50, 100)


# --- the NIfTI preview ------------------------------------------------------------------------------------

def labelled_volume():
    """20×30×10 voxels; only the middle axial slice (z=5) has signal, growing towards anterior (y)."""
    volume = np.zeros((20, 30, 10), np.float32)
    volume[:, :, 5] = np.arange(30)[None, :] + 10
    return volume


def test_nifti_preview_is_the_middle_axial_slice_anterior_up_at_the_voxels_aspect():
    data = synthetic_nifti(labelled_volume(), np.diag([1.0, 2.0, 3.0, 1.0]), compressed=True)
    facts = inspect_image(data)
    assert (facts.width, facts.height) == (20, 60), "20 × 1 mm across, 30 × 2 mm down"
    grey = pixels(data)
    assert grey.std() > 20, "the slice with signal was chosen"
    assert grey[:5].mean() > grey[-5:].mean(), "anterior at the top"


def test_nifti_preview_is_reoriented_to_canonical_first():
    """The same anatomy stored left-to-right and inferior-first gives the same picture."""
    volume = np.zeros((20, 30, 10), np.float32)
    volume[-5:, :, 5] = 100  # the patient's right: x grows towards it in RAS
    volume[:, :, 5] += 10
    ras = pixels(synthetic_nifti(volume, np.diag([1.0, 1.0, 1.0, 1.0])))
    flipped = volume[::-1, :, ::-1]  # stored L→R and S→I: affine says so
    lps_like = np.diag([-1.0, 1.0, -1.0, 1.0])
    assert np.array_equal(pixels(synthetic_nifti(flipped, lps_like)), ras)
    assert ras[:, :5].mean() > ras[:, -5:].mean(), "radiological display: the patient's right on the left"


def test_a_4d_nifti_shows_its_first_volume():
    volume = np.stack([labelled_volume(), np.zeros((20, 30, 10), np.float32)], axis=-1)
    assert pixels(synthetic_nifti(volume, nifti2=True)).std() > 20


def test_shipped_nifti_files_give_non_blank_previews():
    for name in ("anatomical.nii", "example4d.nii.gz", "example_nifti2.nii.gz", "functional.nii"):
        assert pixels(nibabel_file(name).read_bytes()).std() > 10, name


# --- metadata ---------------------------------------------------------------------------------------------

def test_dicom_metadata_is_normalised():
    metadata = inspect_image(pydicom_file("CT_small.dcm").read_bytes()).metadata
    assert (metadata["camera_make"], metadata["camera_model"]) == ("GE MEDICAL SYSTEMS", "RHAPSODE")
    assert metadata["taken_at"] == "2004-01-19T07:27:30-05:00"
    medical = metadata["medical"]
    assert medical["modality"] == "CT" and medical["kind"] == "CT Image Storage"
    assert medical["dimensions"] == [128, 128] and medical["pixel_spacing_mm"] == [0.6615, 0.6615]
    assert medical["slice_thickness_mm"] == 5.0


def test_multi_frame_and_nifti_metadata_count_frames_volumes_and_voxel_sizes():
    multi = inspect_image(synthetic_dicom(np.zeros((5, 4, 4), np.uint16))).metadata["medical"]
    assert multi["frames"] == 5
    nifti = inspect_image(nibabel_file("example4d.nii.gz").read_bytes())
    medical = nifti.metadata["medical"]
    assert medical["kind"] == "NIfTI-1" and medical["dimensions"] == [128, 96, 24] and medical["volumes"] == 2
    assert medical["voxel_size_mm"] == [2.0, 2.0, 2.2] and medical["orientation"] == "LAS"
    assert nifti.raw_metadata["nifti"]["dim"][:5] == [4, 128, 96, 24, 2]
    assert inspect_image(nibabel_file("example_nifti2.nii.gz").read_bytes()).metadata["medical"]["kind"] == "NIfTI-2"


def test_nifti_extensions_are_listed_by_code_without_their_content():
    """Extensions may embed a whole DICOM header (code 2); their content is never stored."""
    raw = inspect_image(nibabel_file("example4d.nii.gz").read_bytes()).raw_metadata
    assert raw["nifti"]["extensions"] == [{"code": 6, "bytes": 32}, {"code": 6, "bytes": 32}]
    assert "extcomment" not in json.dumps(raw)


def test_no_patient_identifier_reaches_metadata_or_raw_tags():
    data = synthetic_dicom(np.zeros((8, 8), np.uint16), SeriesDescription="AXIAL for Dulcinea Quixote 19610307",
                           ImageComments="call HOSP-4711-XYZ")
    facts = inspect_image(data)
    stored = json.dumps([facts.metadata, facts.raw_metadata])
    for keyword in IDENTIFIERS:
        assert keyword not in stored, keyword
    for value in IDENTIFYING_VALUES:
        assert value not in stored, value
    for word in ("Quixote", "Dulcinea", "Maria", "Panza", "Carrasco", "OTHER-ID-5150", "private", "Toboso"):
        assert word not in stored, word
    assert facts.metadata["medical"]["series_description"] == "AXIAL for [removed] [removed] [removed]"
    raw = facts.raw_metadata["dicom"]
    assert raw["Modality"] == "CT" and raw["Rows"] == 8 and raw["StudyDate"] == "20240517"


def test_shipped_dicom_files_keep_their_patients_out_of_the_metadata():
    for name, patient in (("CT_small.dcm", "CompressedSamples"), ("examples_overlay.dcm", "Sssssss"),
                          ("MR_small.dcm", "CompressedSamples")):
        facts = inspect_image(pydicom_file(name).read_bytes())
        stored = json.dumps([facts.metadata, facts.raw_metadata])
        assert patient not in stored and "PatientName" not in stored and "PatientID" not in stored, name
        assert "InstitutionName" not in stored and "StudyInstanceUID" not in stored, name


def test_the_deidentification_lists_name_real_dicom_attributes():
    """A misspelt keyword would silently let an attribute through."""
    from pydicom.datadict import tag_for_keyword

    assert [keyword for keyword in (*PROFILE_KEYWORDS, *IDENTIFIER_KEYWORDS) if tag_for_keyword(keyword) is None] == []

