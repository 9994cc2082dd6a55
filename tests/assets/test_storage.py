"""Reading stored files: a store that is away or a file missing right now is a passing failure, told apart."""
import socket

import pytest
from botocore.config import Config
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from assets.storage import SourceUnavailable, read_stored


def test_a_stored_file_is_read_whole_and_a_missing_one_may_come_back(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("renditions/a.jpg", ContentFile(b"\xff\xd8 bytes"))
    assert read_stored(storage, name) == b"\xff\xd8 bytes"
    with pytest.raises(SourceUnavailable, match="Could not read renditions/b.jpg from storage"):
        read_stored(storage, "renditions/b.jpg")


def test_an_s3_store_that_does_not_answer_is_a_passing_failure():
    with socket.socket() as probe:  # a port nothing listens on: the store is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    storage = S3Storage(bucket_name="lumen-media", endpoint_url=f"http://127.0.0.1:{port}", access_key="k",
                        secret_key="s", region_name="us-east-1",
                        client_config=Config(connect_timeout=1, retries={"max_attempts": 1}))
    with pytest.raises(SourceUnavailable, match="Could not connect"):
        read_stored(storage, "renditions/a.jpg")
