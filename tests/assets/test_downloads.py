"""What can be downloaded of an asset, by size and format: the service and GET /api/assets/{uid}/downloads/."""
import io

import pytest
from django.urls import reverse
from PIL import Image

from assets.renditions import ensure_default_renditions
from assets.services.ingest import ingest_file
from core.audit import Actor

pytestmark = pytest.mark.django_db


def photo(owner, size=(1600, 1000)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "JPEG")
    asset = ingest_file(io.BytesIO(buffer.getvalue()), filename="harbour.jpg", actor=Actor(owner)).asset
    ensure_default_renditions(asset.current_version)
    return asset


def test_renditions_are_offered_by_size_name_and_format(make_user, login):
    owner = make_user("owner")
    asset = photo(owner)
    body = login(owner).get(reverse("api:asset-downloads", kwargs={"uid": asset.uid})).json()
    assert (body["original"]["format"], body["original"]["width"]) == ("JPEG", 1600)
    assert body["original"]["url"].endswith(f"/api/assets/{asset.uid}/download/?version=1")
    assert [size["label"] for size in body["sizes"]] == ["Large · 1280 × 800", "Medium · 640 × 400",
                                                         "Small · 320 × 200"]
    assert [file["format"] for file in body["sizes"][0]["files"]] == ["JPEG", "WebP", "AVIF"]
    file = body["sizes"][1]["files"][1]
    fetched = login(owner).get(file["url"])
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/webp"


def test_a_viewer_gets_the_list_of_what_they_may_see(make_user, make_collection, login):
    owner, viewer = make_user("owner"), make_user("viewer")
    asset = photo(owner, size=(500, 400))
    asset.collections.add(make_collection("News", viewer="viewer"))
    body = login(viewer).get(reverse("api:asset-downloads", kwargs={"uid": asset.uid})).json()
    assert [size["label"] for size in body["sizes"]] == ["Small · 500 × 400", "Small · 320 × 256"]
    stranger = make_user("stranger")
    assert login(stranger).get(reverse("api:asset-downloads", kwargs={"uid": asset.uid})).status_code == 404
