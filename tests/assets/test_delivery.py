"""File delivery and the image template tags, through Django's test client on the real database and storage."""
import hashlib
import io
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from PIL import Image

from assets.models import Asset
from assets.renditions import ensure_default_renditions
from assets.services.editing import edit_metadata
from assets.services.ingest import ingest_file
from assets.templatetags.asset_images import rendition_url
from core.models import AuditEntry
from support import exiftool

pytestmark = pytest.mark.django_db


def png(color, size=(900, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def ingest(actor, color="teal", filename="teal.png", size=(900, 600)):
    return ingest_file(io.BytesIO(png(color, size)), filename=filename, actor=actor, title=f"A {color} square").asset


@pytest.fixture
def ready(actor):
    asset = ingest(actor)
    ensure_default_renditions(asset.current_version)
    return asset


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def rendition_path(asset, spec="width-640|format-jpeg"):
    return reverse("assets:rendition", kwargs={"uid": asset.uid, "number": 1, "spec": spec})


def original_path(asset, number=1):
    return reverse("assets:original", kwargs={"uid": asset.uid, "number": number})


def test_rendition_urls_carry_the_version_and_the_percent_encoded_spec(ready):
    assert rendition_path(ready) == f"/files/{ready.uid}/v1/r/width-640%7Cformat-jpeg"


def jpeg_640(asset):
    return asset.current_version.renditions.get(spec="width-640|format-jpeg")


def test_a_rendition_url_naming_its_file_is_served_with_immutable_private_caching(signed_in, ready):
    rendition = jpeg_640(ready)
    url = rendition_url(rendition)
    assert url == f"{rendition_path(ready)}?f={rendition.content_token}"
    response = signed_in.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"].startswith(f'"{rendition.content_token}-m'), "the file and the metadata written in"
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).tobytes() == Image.open(rendition.file).tobytes(), "the same pixels"
    assert Image.open(io.BytesIO(body)).size == (640, 427)


def test_a_bare_or_stale_rendition_url_is_revalidated_every_time(signed_in, ready):
    for url in (rendition_path(ready), f"{rendition_path(ready)}?f=0123456789abcdef"):
        response = signed_in.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"


def test_a_re_made_rendition_gets_a_new_url_and_etag(signed_in, ready):
    """What a browser cached (e.g. before faces had to be blurred) is never what the page asks for now."""
    before = jpeg_640(ready)
    old_url, old_etag = rendition_url(before), signed_in.get(rendition_url(before))["ETag"]
    before.delete()
    ensure_default_renditions(ready.current_version)
    after = jpeg_640(ready)
    assert rendition_url(after) != old_url
    response = signed_in.get(rendition_url(after), HTTP_IF_NONE_MATCH=old_etag)
    assert response.status_code == 200 and response["ETag"] != old_etag


def test_a_matching_etag_gets_304_with_the_same_headers(signed_in, ready):
    url = rendition_url(jpeg_640(ready))
    etag = signed_in.get(url)["ETag"]
    response = signed_in.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and not response.content
    assert response["ETag"] == etag and "immutable" in response["Cache-Control"]
    assert signed_in.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_equivalent_spellings_serve_the_same_rendition(signed_in, ready):
    response = signed_in.get(rendition_path(ready, " Format-JPEG|width-640|jpegquality-82"))
    assert response.status_code == 200 and response["ETag"].startswith(f'"{jpeg_640(ready).content_token}-m')


def test_a_rendition_not_made_yet_is_a_short_404(signed_in, actor):
    asset = ingest(actor, "olive")
    response = signed_in.get(rendition_path(asset))
    assert response.status_code == 404 and response.content == b"This preview has not been made yet."
    ensure_default_renditions(asset.current_version)
    not_offered = signed_in.get(rendition_path(asset, "width-500|format-jpeg"))
    assert not_offered.status_code == 404, "only the offered sizes are made on request: no encoding at any size asked"
    assert not asset.current_version.renditions.filter(spec="width-500|format-jpeg").exists()


def test_an_on_request_rendition_is_made_by_its_first_request_once(signed_in, ready):
    """WebP is offered but not made after ingest (settings.LUMEN_RENDITION_ON_REQUEST_FORMATS): the first request
    makes and stores it, later ones serve the stored file."""
    version = ready.current_version
    assert not version.renditions.filter(format="webp").exists()
    first = signed_in.get(rendition_path(ready, "width-640|format-webp"))
    assert first.status_code == 200 and first["Content-Type"] == "image/webp"
    assert first["Cache-Control"] == "private, no-cache", "its URL had no content token yet"
    made = version.renditions.get(spec="width-640|format-webp")
    assert Image.open(io.BytesIO(b"".join(first.streaming_content))).size == (made.width, made.height) == (640, 427)
    second = signed_in.get(rendition_path(ready, "width-640|format-webp"))
    assert second["ETag"] == first["ETag"] and version.renditions.filter(format="webp").count() == 1


@pytest.mark.parametrize("spec", ["width-99999|format-webp", "sepia-3", "width-640|format-bmp"])
def test_invalid_specs_are_404(signed_in, ready, spec):
    assert signed_in.get(rendition_path(ready, spec)).status_code == 404


def test_unknown_assets_and_versions_are_404(signed_in, ready):
    assert signed_in.get(original_path(ready, number=2)).status_code == 404
    other = reverse("assets:rendition", kwargs={"uid": "00000000-0000-0000-0000-000000000000", "number": 1,
                                                "spec": "width-640|format-webp"})
    assert signed_in.get(other).status_code == 404


def test_anonymous_requests_go_to_the_login_page(client, ready):
    for path in (rendition_path(ready), original_path(ready)):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_asset_the_gate_hides_is_404_not_403(client, django_user_model, ready):
    stranger = django_user_model.objects.create_user("mallory", "m@example.com", "correct-horse-battery")
    client.force_login(stranger)
    for path in (rendition_path(ready), original_path(ready)):
        assert client.get(path).status_code == 404


def test_original_downloads_as_an_attachment_and_is_audited(signed_in, actor, user):
    asset = ingest(actor, "maroon", filename="../holiday <pics>/Ünter den Linden.html")
    version = asset.current_version
    response = signed_in.get(original_path(asset), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"].startswith(f'"{version.sha256}-m'), "the stored file and the metadata written in"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C3%9Cnter_den_Linden.png"
    )
    served = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(served)).tobytes() == Image.open(io.BytesIO(png("maroon", (900, 600)))).tobytes()
    entry = AuditEntry.objects.get(action="asset.download_original")
    assert (entry.actor, entry.asset, entry.object_id, entry.ip_address) == (user, asset, str(version.pk), "10.1.2.3")


def test_original_revalidation_answers_304_without_a_new_audit_entry(signed_in, ready):
    etag = signed_in.get(original_path(ready))["ETag"]
    response = signed_in.get(original_path(ready), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response["Cache-Control"] == "private, no-cache"
    assert AuditEntry.objects.filter(action="asset.download_original").count() == 1


def render(source, **context):
    return Template("{% load asset_images %}" + source).render(Context(context))


def test_srcset_offers_what_is_made_and_a_sized_lazy_jpeg(ready):
    html = render('{% asset_srcset asset sizes="(max-width: 600px) 100vw, 320px" %}', asset=ready)
    sources = re.findall(r'<source type="([^"]+)" srcset="([^"]+)"', html)
    assert [kind for kind, _ in sources] == ["image/avif"], "WebP, made on request, is not offered to every tile"
    renditions = {r.spec: r for r in ready.current_version.renditions.all()}
    assert sources[0][1] == ", ".join(
        f"{rendition_url(renditions[f'width-{spec}|format-avif'])} {w}w" for spec, w in ((320, 320), (640, 640), (1280, 900))
    ), "one candidate per distinct width: 1280 of a 900-pixel image is the image itself"
    img = re.search(r"<img [^>]+>", html).group(0)
    assert f'src="{rendition_url(renditions["width-640|format-jpeg"])}"' in img
    assert 'width="640" height="427"' in img and 'alt="A teal square"' in img and 'loading="lazy"' in img
    assert 'sizes="(max-width: 600px) 100vw, 320px"' in img


def test_srcset_reads_prefetched_renditions_without_queries(ready, django_assert_num_queries):
    asset = (Asset.objects.select_related("current_version")
             .prefetch_related("current_version__renditions").get(pk=ready.pk))
    with django_assert_num_queries(0):
        assert "<picture>" in render("{% asset_srcset asset %}", asset=asset)


def test_srcset_escapes_the_title(actor):
    asset = ingest(actor, "navy")
    Asset.objects.filter(pk=asset.pk).update(title='"><script>alert(1)</script>')
    asset.refresh_from_db()
    ensure_default_renditions(asset.current_version)
    html = render("{% asset_srcset asset %}", asset=asset)
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html


def test_placeholder_until_renditions_exist(actor):
    asset = ingest(actor, "gray")
    assert render("{% asset_srcset asset %}", asset=asset) == (
        '<div class="processing" role="img" aria-label="Processing…">Processing…</div>'
    )
    asset.status = Asset.Status.FAILED
    assert 'class="processing"' in render("{% asset_srcset asset %}", asset=asset)
    assert "Preview unavailable" in render("{% asset_srcset asset %}", asset=asset)


def test_rendition_url_takes_an_asset_a_version_or_a_rendition(ready):
    version = ready.current_version
    expected = rendition_path(ready, "fill-200x200|format-avif")
    assert rendition_url(ready, "fill-200x200|format-avif|avifquality-65") == expected
    assert rendition_url(version, "fill-200x200|format-avif") == expected
    jpeg = version.renditions.get(spec="width-640|format-jpeg")
    assert rendition_url(jpeg) == f"{rendition_path(ready)}?f={jpeg.content_token}"
    assert render('{% rendition_url asset "width-320|format-jpeg" %}', asset=ready) == rendition_path(
        ready, "width-320|format-jpeg"
    )
    with pytest.raises(ValueError):
        rendition_url(ready, "width-640|format-gif")


def test_originals_and_renditions_carry_the_current_details_and_their_etags_follow(signed_in, ready, actor):
    """One mechanism for both: edit the details, and the next download of either carries them, under a new ETag;
    the rendition URL's token changes too, so no browser keeps the old copy for a year."""
    jpeg = ready.current_version.renditions.get(spec="width-320|format-jpeg")
    old_url, old_original = rendition_url(jpeg), signed_in.get(original_path(ready))
    old_rendition = signed_in.get(old_url)
    assert exiftool(b"".join(old_rendition.streaming_content))["XMP-dc:Title"] == "A teal square"
    edit_metadata(ready, actor=actor, title="Teal, edited", creator="Ana Lima", copyright="© Ana Lima",
                  keywords=["teal"])
    jpeg = type(jpeg).objects.select_related("version__asset").get(pk=jpeg.pk)
    new_url = rendition_url(jpeg)
    assert new_url != old_url, "the content token names the metadata revision"
    stale = signed_in.get(old_url)
    assert stale["Cache-Control"] == "private, no-cache" and stale["ETag"] != old_rendition["ETag"]
    for response in (signed_in.get(new_url), signed_in.get(original_path(ready))):
        read = exiftool(b"".join(response.streaming_content))
        assert (read["XMP-dc:Title"], read["IFD0:Artist"], read["IFD0:Copyright"], read["XMP-dc:Subject"]) == (
            "Teal, edited", "Ana Lima", "© Ana Lima", ["teal"])
    assert signed_in.get(original_path(ready))["ETag"] != old_original["ETag"]
    assert signed_in.get(original_path(ready), HTTP_IF_NONE_MATCH=old_original["ETag"]).status_code == 200
    current = signed_in.get(original_path(ready))["ETag"]
    assert signed_in.get(original_path(ready), HTTP_IF_NONE_MATCH=current).status_code == 304


def test_the_untouched_original_is_the_stored_file_for_those_who_may_change_it(signed_in, client, ready, actor,
                                                                               make_user, make_collection):

    version = ready.current_version
    response = signed_in.get(original_path(ready), {"untouched": "1"})
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == version.sha256 and response["ETag"] == f'"{version.sha256}"'
    entry = AuditEntry.objects.filter(action="asset.download_original").latest("pk")
    assert entry.after == {"untouched": True}
    viewer = make_user("viewer")
    ready.collections.add(make_collection("Shared", viewer="viewer"))
    client.force_login(viewer)
    assert client.get(original_path(ready)).status_code == 200, "a viewer downloads the copy with the details"
    assert client.get(original_path(ready), {"untouched": "1"}).status_code == 404
