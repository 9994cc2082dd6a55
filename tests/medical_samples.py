"""DICOM and NIfTI test data: files shipped inside the installed pydicom and nibabel wheels (referenced,
never copied into the repository) and small synthetic files written with the same libraries."""
import gzip
import io
from pathlib import Path

import nibabel
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
NIBABEL_FILES = Path(nibabel.__file__).parent / "tests" / "data"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"

# What a hospital's DICOM export carries about a person; none of it may reach metadata or pages.
IDENTIFIERS = {
    "PatientName": "Quixote^Dulcinea^Maria",
    "PatientID": "HOSP-4711-XYZ",
    "PatientBirthDate": "19610307",
    "PatientAddress": "12 Calle Mayor, Toboso",
    "PatientTelephoneNumbers": "+34 925 555 0199",
    "OtherPatientIDs": "MRN-99887766",
    "PatientMotherBirthName": "Panza^Teresa",
    "PatientAge": "063Y",
    "PatientSex": "F",
    "PatientWeight": "61.5",
    "AccessionNumber": "ACC-2024-0042",
    "StudyID": "STUDY-31337",
    "InstitutionName": "Hospital Santa Hermandad",
    "InstitutionAddress": "1 Plaza de la Mancha",
    "ReferringPhysicianName": "Sanson^Carrasco",
    "PerformingPhysicianName": "Perez^Pero",
    "OperatorsName": "Nicolas^Maese",
    "StationName": "CT-TOBOSO-01",
    "DeviceSerialNumber": "SN-0xDEADBEEF",
    "StudyInstanceUID": "1.2.826.0.1.3680043.8.498.11111111111111111111",
    "SeriesInstanceUID": "1.2.826.0.1.3680043.8.498.22222222222222222222",
}

# The values that would give someone away on their own (sex, age and weight are covered by their keywords).
IDENTIFYING_VALUES = [value for value in IDENTIFIERS.values() if len(value) > 4]


def pydicom_file(name):
    path = PYDICOM_FILES / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this pydicom installation")
    return path


def nibabel_file(name):
    path = NIBABEL_FILES / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this nibabel installation")
    return path


def synthetic_dicom(pixels, *, photometric="MONOCHROME2", bare=False, preamble=None, identifiers=True,
                    **attributes):
    """A DICOM file holding ``pixels`` (rows × columns, frames × rows × columns, or rows × columns × 3 RGB)."""
    pixels = np.ascontiguousarray(pixels)
    rgb = photometric == "RGB"
    ds = Dataset()
    ds.SOPClassUID = SECONDARY_CAPTURE if rgb else CT_IMAGE_STORAGE
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "OT" if rgb else "CT"
    ds.Manufacturer = "Lumen Test Devices"
    ds.ManufacturerModelName = "Phantom 3000"
    ds.StudyDate, ds.StudyTime = "20240517", "093015"
    ds.StudyDescription = "CT HEAD without contrast"
    ds.SeriesDescription = "AXIAL 5mm"
    ds.BodyPartExamined = "HEAD"
    if identifiers:
        for keyword, value in IDENTIFIERS.items():
            setattr(ds, keyword, value)
        other = Dataset()
        other.PatientID = "OTHER-ID-5150"
        ds.OtherPatientIDsSequence = Sequence([other])
        ds.add_new(0x00091010, "LO", "private: scanned by Dr Quixote")
    frames = pixels.shape[0] if pixels.ndim == 3 and not rgb else 1
    ds.Rows, ds.Columns = pixels.shape[-3:-1] if rgb else pixels.shape[-2:]
    ds.SamplesPerPixel = 3 if rgb else 1
    ds.PhotometricInterpretation = photometric
    if rgb:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    bits = pixels.dtype.itemsize * 8
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.PixelData = pixels.tobytes()
    buffer = io.BytesIO()
    if bare:
        pydicom.dcmwrite(buffer, ds, implicit_vr=True, little_endian=True)
    else:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.preamble = preamble or b"\x00" * 128
        ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def synthetic_nifti(volume, affine=None, *, compressed=False, nifti2=False):
    """A single-file NIfTI of ``volume`` (its affine gives orientation and voxel sizes), optionally gzipped."""
    image_class = nibabel.Nifti2Image if nifti2 else nibabel.Nifti1Image
    image = image_class(np.asarray(volume), np.eye(4) if affine is None else affine)
    image.header.set_xyzt_units("mm", "sec")
    data = image.to_bytes()
    return gzip.compress(data) if compressed else data
