"""Keyset pages and capped totals over real assets in Postgres."""
import datetime

import pytest
from django.db import connection
from django.utils import timezone

from assets import pagination
from assets.filtersets import ORDERINGS
from assets.models import Asset
from assets.pagination import CappedPaginator, InvalidCursor, encode_cursor, keyset_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def assets(make_asset, user):
    """Seven assets; three share one upload and taken time, so only the id orders them."""
    made = [make_asset(user, title=f"Photo {letter}") for letter in "gfedcba"]
    moment = timezone.now() - datetime.timedelta(days=1)
    Asset.objects.filter(pk__in=[a.pk for a in made[2:5]]).update(created_at=moment, captured_at=moment)
    return made


def all_pages(ordering, size):
    queryset = Asset.objects.order_by(*ORDERINGS[ordering][1])
    pages, cursor = [], None
    while True:
        rows, cursor = keyset_page(queryset, ordering, cursor, size)
        pages.append([a.pk for a in rows])
        if cursor is None:
            return pages, [a.pk for a in queryset]


@pytest.mark.parametrize("ordering", sorted(pagination.KEYSET_ORDERINGS))
@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_keyset_pages_walk_the_whole_ordering_once(assets, ordering, size):
    pages, expected = all_pages(ordering, size)
    assert [pk for page in pages for pk in page] == expected
    assert all(len(page) == size for page in pages[:-1])


def test_a_cursor_that_is_not_ours_is_refused(assets):
    for cursor in ("nonsense", encode_cursor("not a date", 1), encode_cursor("2024-01-01T00:00:00", "1")):
        with pytest.raises(InvalidCursor):
            keyset_page(Asset.objects.order_by("-created_at", "-id"), "-created_at", cursor, 2)


def test_the_total_stops_counting_at_the_cap(assets, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    capped = CappedPaginator(Asset.objects.order_by("pk"), 2)
    assert (capped.count, capped.count_is_exact, capped.shown_count, capped.capped_count) == (6, False, "5+", 5)
    exact = CappedPaginator(Asset.objects.filter(pk__in=[a.pk for a in assets[:4]]).order_by("pk"), 2)
    assert (exact.count, exact.count_is_exact, exact.shown_count, exact.capped_count) == (4, True, "4", 4)


def test_a_count_that_takes_too_long_is_unknown_and_leaves_the_transaction_usable(assets):
    slow = Asset.objects.extra(where=["pg_sleep(0.2) IS NOT NULL"])  # one real 200 ms probe per counted row
    assert pagination.count_within(slow, 50) is None
    assert pagination.count_within(Asset.objects.all(), 5000) == 7
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"  # the budget did not outlive the count
    paginator = CappedPaginator(slow.order_by("pk"), 2, time_budget_ms=50)
    assert (paginator.count, paginator.count_is_exact, paginator.capped_count, paginator.shown_count) == (
        None, False, None, None)


def test_a_count_that_ran_out_of_time_is_not_tried_again_for_the_same_list(assets, django_assert_num_queries):
    slow = Asset.objects.extra(where=["pg_sleep(0.2) IS NOT NULL"])
    assert pagination.count_within(slow, 50) is None
    with django_assert_num_queries(0):  # remembered: the same SQL does not spend its budget again
        assert pagination.count_within(slow, 50) is None
    assert pagination.count_within(Asset.objects.filter(title__startswith="Photo"), 5000) == 7  # others still count


def test_a_total_past_the_cap_is_remembered_and_one_under_it_counted_again(assets, monkeypatch, make_asset, user,
                                                                          django_assert_num_queries):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    everything, some = Asset.objects.all(), Asset.objects.filter(title__in=["Photo a", "Photo b"])
    assert (pagination.count_within(everything, 5000), pagination.count_within(some, 5000)) == (7, 2)
    make_asset(user, title="Photo b")
    with django_assert_num_queries(0):  # "5+" still: no transaction, no 6 rows read again
        assert pagination.count_within(everything, 5000) == 7
    assert pagination.count_within(some, 5000) == 3  # an exact total shows the new upload at once


def test_a_list_that_can_match_nothing_counts_zero_without_asking(assets, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert pagination.count_within(Asset.objects.none(), 50) == 0
