"""AssetFilter over real ingested samples: each filter, ordering, validation, and one SQL query."""
import io
from types import SimpleNamespace

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from PIL import Image

from assets.filtersets import AssetFilter
from assets.models import Asset
from assets.services.collections import create_collection
from assets.services.ingest import ingest_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(samples, actor):
    """Four real photos with different formats, dates, keywords and collections, plus a bare PNG."""

    def ingest(relative, **kwargs):
        with open(samples / relative, "rb") as handle:
            return ingest_file(handle, filename=relative.rsplit("/", 1)[-1], actor=actor, **kwargs).asset

    travel = create_collection("Travel", actor=actor)
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, "PNG")
    png.seek(0)
    return SimpleNamespace(
        travel=travel,
        canon=ingest("jpg/Canon_40D.jpg"),  # taken 2008-05-30
        tuscany=ingest("jpg/gps/DSCN0010.jpg", collections=[travel]),  # taken 2008-10-22
        blue=ingest("jpg/xmp/BlueSquare.jpg", title="Blue square"),  # keywords, no date taken
        iphone=ingest("heic/IMG_5195.HEIC", collections=[travel]),  # HEIF, 2021-04-11 with offset
        red=ingest_file(png, filename="red.png", actor=actor, title="Plain red").asset,
    )


def uids(params, queryset=None):
    return [asset.uid for asset in AssetFilter(params, queryset if queryset is not None else Asset.objects.all()).qs]


def test_default_order_is_newest_upload_first(library):
    assert uids({}) == [a.uid for a in (library.red, library.iphone, library.blue, library.tuscany, library.canon)]


def test_a_query_string_without_filters_builds_no_form_and_lists_newest_first(library):
    """Pagination parameters alone (most API pages) are not filters: no form is built or validated."""
    filterset = AssetFilter(QueryDict("page_size=2&cursor=abc"), Asset.objects.all())
    assert filterset.is_valid() and filterset.errors == {} and filterset.values == {}
    assert [asset.uid for asset in filterset.qs] == uids({})
    assert "form" not in vars(filterset)
    refused = AssetFilter(QueryDict("page_size=2&status=lost"), Asset.objects.all())
    assert not refused.is_valid() and "status" in refused.errors


def test_format_accepts_several_values(library):
    assert set(uids(QueryDict("format=heif&format=png"))) == {library.iphone.uid, library.red.uid}
    assert set(uids({"format": ["jpeg"]})) == {library.canon.uid, library.tuscany.uid, library.blue.uid}


def test_dates_use_time_taken_and_fall_back_to_upload_date(library):
    assert uids({"date_from": "2008-05-30", "date_to": "2008-10-22", "ordering": "-taken_at"}) == [
        library.tuscany.uid, library.canon.uid,
    ]
    assert uids({"date_to": "2008-05-30"}) == [library.canon.uid]
    recent = set(uids({"date_from": "2021-04-11"}))
    assert recent == {library.iphone.uid, library.blue.uid, library.red.uid}  # the last two by upload date


def test_keyword_matches_whole_keywords_ignoring_case(library):
    assert uids({"keyword": "blue SQUARE"}) == [library.blue.uid]
    assert uids({"keyword": "blue"}) == []
    Asset.objects.filter(pk=library.red.pk).update(keywords=["Zürich", "Öl"])
    assert uids({"keyword": "ZÜRICH"}) == [library.red.uid]


def test_collection_by_slug_or_id(library):
    expected = [library.iphone.uid, library.tuscany.uid]
    assert uids({"collection": library.travel.slug}) == expected
    assert uids({"collection": str(library.travel.pk)}) == expected


def test_status_and_text_query(library):
    Asset.objects.filter(pk=library.canon.pk).update(status=Asset.Status.FAILED)
    assert uids({"status": "failed"}) == [library.canon.uid]
    assert uids({"q": "square"}) == [library.blue.uid]
    assert uids({"q": "XMPFILES"}) == [library.blue.uid]  # caption


def test_orderings(library):
    assert uids({"ordering": "created_at"})[0] == library.canon.uid
    assert uids({"ordering": "title"})[:2] == [library.blue.uid, library.canon.uid]
    assert uids({"ordering": "-taken_at"})[-2:] == [library.tuscany.uid, library.canon.uid]


def test_filters_narrow_the_queryset_they_are_given(library):
    assert uids({"collection": "travel"}, Asset.objects.filter(current_version__format="heif")) == [library.iphone.uid]


def test_all_filters_together_are_one_query(library):
    params = {"format": ["heif", "jpeg"], "date_from": "2000-01-01", "date_to": "2030-12-31", "keyword": "x",
              "collection": "travel", "status": "processing", "q": "a", "ordering": "-taken_at"}
    filterset = AssetFilter(params, Asset.objects.all())
    list(filterset.qs)  # the collection slug is looked up while validating
    with CaptureQueriesContext(connection) as queries:
        list(filterset.qs.all())
    assert len(queries) == 1


@pytest.mark.parametrize("params, field, message", [
    ({"date_from": "30/05/2008"}, "date_from", "YYYY-MM-DD"),
    ({"date_from": "2020-02-01", "date_to": "2020-01-01"}, "date_to", "before the start date"),
    ({"format": "bmp"}, "format", "Unknown format “bmp”"),
    ({"status": "gone"}, "status", "Unknown status"),
    ({"ordering": "size"}, "ordering", "Unknown ordering"),
    ({"collection": "nope"}, "collection", "no collection with that slug or id"),
])
def test_invalid_values_are_reported_and_ignored(library, params, field, message):
    filterset = AssetFilter({**params, "q": "square"}, Asset.objects.all())
    assert not filterset.is_valid()
    assert message in filterset.errors[field][0]
    assert [a.uid for a in filterset.qs] == [library.blue.uid]


def test_no_errors_when_valid():
    filterset = AssetFilter({"format": "png"}, Asset.objects.all())
    assert filterset.is_valid() and filterset.errors == {}
