"""The timeline and the map: real camera photos with GPS and capture dates from the shared samples, counted per
month and per map cell in SQL, filtered like the grid and only over what the user may see."""
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assets.services.ingest import ingest_file
from search import browse
from search.indexing import reindex_asset
from search.models import SearchDocument
from search.query import SearchQuery
from support import SAMPLES

pytestmark = pytest.mark.django_db

GPS = sorted((SAMPLES / "jpg" / "gps").glob("*.jpg"))


@pytest.fixture
def photos(actor):
    """Nine GPS-tagged photos (all taken near Arezzo, Italy, in 2008) and two without a position."""
    assets = []
    for path in GPS:
        with path.open("rb") as handle:
            assets.append(ingest_file(handle, filename=path.name, actor=actor).asset)
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg"):
        with (SAMPLES / "jpg" / name).open("rb") as handle:
            assets.append(ingest_file(handle, filename=name, actor=actor).asset)
    return assets


def test_the_position_is_indexed_from_the_gps_metadata(photos):
    placed = SearchDocument.objects.filter(latitude__isnull=False)
    assert placed.count() == len(GPS)
    assert all(43.4 < d.latitude < 43.5 and 11.8 < d.longitude < 11.9 for d in placed)


def test_months_count_what_the_user_sees_newest_first(photos, user, make_user):
    months = browse.months(SearchQuery(), user)
    assert sum(m.count for m in months) == len(photos)
    assert [m.month for m in months] == sorted({m.month for m in months}, reverse=True)
    assert browse.months(SearchQuery(), make_user("stranger")) == []
    (october,) = [m for m in months if m.month == "2008-10"]
    browse.with_images(SearchQuery(), user, [october], per_month=3)
    assert len(october.assets) == min(3, october.count) and october.label == "October 2008"


def test_a_month_filters_the_grid_like_the_timeline(photos, user):
    months = browse.months(SearchQuery(), user)
    for month in months:
        assert len(browse.months(SearchQuery(months=[month.month]), user)) == 1


def test_undated_images_sit_in_their_upload_month(photos, user):
    SearchDocument.objects.filter(asset=photos[-1]).update(taken_at=None)
    uploaded = timezone.localtime(photos[-1].created_at).strftime("%Y-%m")
    assert any(m.month == uploaded for m in browse.months(SearchQuery(), user))


def test_clusters_shrink_as_the_map_zooms_in(photos, user, make_user):
    (world,) = browse.clusters(SearchQuery(), user, browse.Area())
    assert world.count == len(GPS) and world.asset is not None
    assert browse.clusters(SearchQuery(), make_user("stranger"), browse.Area()) == []
    close = browse.clusters(SearchQuery(), user, browse.Area(43.46, 11.87, 43.48, 11.89, zoom=17))
    assert len(close) > 1 and sum(c.count for c in close) <= len(GPS)
    assert browse.clusters(SearchQuery(), user, browse.Area(-10, -10, 10, 10, zoom=5)) == []


def test_a_wide_area_at_a_deep_zoom_stays_a_few_clusters():
    """A client asking for the whole world at zoom 18 gets world-sized cells, not one cluster per image."""
    assert browse.Area(zoom=browse.MAX_ZOOM).cell == 360 / browse.CELLS_ACROSS


def test_bad_areas_are_refused_in_words():
    with pytest.raises(ValueError, match="west,south,east,north"):
        browse.area_from({"bbox": "1,2,3"})
    with pytest.raises(ValueError, match="west ≤ east"):
        browse.area_from({"bbox": "10,0,5,1"})
    assert browse.area_from({"bbox": "-200,-100,200,100", "zoom": "40"}) == browse.Area(zoom=browse.MAX_ZOOM)


def test_the_api_serves_months_and_places(photos, user):
    api = APIClient()
    api.force_authenticate(user)
    months = api.get(reverse("search-api:timeline")).json()["months"]
    assert sum(m["count"] for m in months) == len(photos) and "month=" in months[0]["search_url"]
    places = api.get(reverse("search-api:places"), {"zoom": 3}).json()
    (cluster,) = places["clusters"]
    assert cluster["count"] == len(GPS) and cluster["asset"]["html_url"].startswith("http")
    filtered = api.get(reverse("search-api:places"), {"q": "nothing-matches-this"}).json()
    assert filtered["clusters"] == []
    bad = api.get(reverse("search-api:places"), {"bbox": "a,b,c,d"})
    assert bad.status_code == 400 and bad.json()["message"].startswith("bbox: Give bbox as west,south,east,north")


def test_the_pages_render_with_filters(photos, client, user, monkeypatch):
    monkeypatch.setattr(browse, "MONTHS_PER_PAGE", 1)
    client.force_login(user)
    html = client.get(reverse("search:timeline")).content.decode()
    assert 'id="scrubber-range"' in html and "↓ Older" in html and "↑ Newer" not in html
    oldest = browse.months(SearchQuery(), user)[-1]
    older = client.get(reverse("search:timeline"), {"from": oldest.month}).content.decode()
    assert "↑ Newer" in older and oldest.label in older and "↓ Older" not in older
    narrowed = client.get(reverse("search:timeline"), {"month": "2008-10"}).content.decode()
    assert "Month: 2008-10" in narrowed
    bad = client.get(reverse("search:timeline"), {"month": "October"}).content.decode()
    assert "Write months as YYYY-MM" in bad
    page = client.get(reverse("search:map"), {"format": "jpeg"})
    assert page.status_code == 200 and "format=jpeg" in page.content.decode()
    assert "img-src 'self'" in page["Content-Security-Policy"]


def test_a_tile_url_lets_the_map_page_load_its_tiles(client, user, settings):
    settings.LUMEN_MAP_TILE_URL = "https://tile.example.org/{z}/{x}/{y}.png"
    client.force_login(user)
    page = client.get(reverse("search:map"))
    assert "img-src https://tile.example.org 'self'" in page["Content-Security-Policy"]
    assert 'data-tile-url="https://tile.example.org/{z}/{x}/{y}.png"' in page.content.decode()


def test_reindexing_keeps_the_position(photos):
    reindex_asset(photos[0])
    assert SearchDocument.objects.get(asset=photos[0]).latitude is not None
