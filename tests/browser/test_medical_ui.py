"""DICOM and NIfTI in the browser: the bulk form takes them (an extension-less DICOM too) and the asset page
shows the preview and the medical facts, in real headless Chromium against a live server and a real worker."""
import numpy as np
import pytest

from medical_samples import nibabel_file, synthetic_dicom

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PREVIEW_LOADED = """() => {
  const img = document.querySelector('.preview-image img');
  return Boolean(img && img.complete && img.naturalWidth > 0);
}"""


def test_bulk_upload_of_dicom_and_nifti_then_the_asset_page(signed_in_page, live_server, celery_worker, tmp_path):
    page = signed_in_page
    dicom = tmp_path / "IM000001"
    hounsfield = np.add.outer(np.linspace(-1000, 1000, 256), np.linspace(-300, 300, 256))
    dicom.write_bytes(synthetic_dicom((hounsfield + 1024).astype(np.uint16), RescaleIntercept=-1024,
                                      RescaleSlope=1, WindowCenter=40, WindowWidth=800, PixelSpacing=[0.7, 0.7]))
    nifti = nibabel_file("example4d.nii.gz")

    page.goto(f"{live_server.url}/upload/bulk/")
    assert ".dcm" in page.get_attribute("#bulk-files", "accept") and ".nii.gz" in page.get_attribute("#bulk-files",
                                                                                                       "accept")
    page.set_input_files("#bulk-files", [dicom, nifti])
    page.wait_for_function("() => [...document.querySelectorAll('.upload-row')].every(r => r.dataset.state === 'done')",
                           timeout=60_000)
    assert "2 uploaded" in page.locator("#upload-summary").inner_text()

    page.locator(".upload-row", has=page.locator(".name", has_text="IM000001")).get_by_role("link").click()
    page.wait_for_function(PREVIEW_LOADED, timeout=90_000)
    facts = page.locator(".metadata").inner_text()
    for text in ("Modality", "CT", "CT HEAD without contrast", "Pixel spacing", "DICOM"):
        assert text in facts, text
    assert "Quixote" not in page.content()
    page.screenshot(path=tmp_path / "dicom.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
