"""A hypothesis fuzzer over the upload API: the shared camera samples, broken the ways files break in the wild
(the mutations of scripts/fuzz_uploads.py, which runs thousands against a live server), must each end as a clean
ingest or a 4xx with a message for a person — never a server error."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assets.models import Asset
from scripts.fuzz_uploads import KINDS, mutate, sample_files
from support import SAMPLES

SOURCES = sample_files(SAMPLES) if SAMPLES.is_dir() else []
operations = st.lists(st.tuples(st.sampled_from(KINDS), st.floats(0, 1, exclude_max=True), st.integers(1, 4096),
                                st.integers(0, 255)), min_size=1, max_size=4)


@pytest.mark.skipif(not SOURCES, reason="shared sample images not found")
@hypothesis_settings(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(source=st.sampled_from(SOURCES or [None]), operations=operations)
def test_a_mutated_upload_is_ingested_cleanly_or_refused_with_a_message(source, operations, admin_user, client):
    client.force_login(admin_user)
    data = mutate(source.read_bytes(), operations)
    response = client.post("/api/assets/", {"file": SimpleUploadedFile(source.name, data)})
    assert response.status_code < 500, response.content[:500]
    if response.status_code in (200, 201):
        asset = Asset.objects.get(uid=response.json()["uid"])
        assert asset.current_version.bytes == len(data) and asset.current_version.file.name
    else:
        assert 400 <= response.status_code < 500
        body = response.json()
        assert body["error"] and body["message"].strip() and "Traceback" not in body["message"], body
