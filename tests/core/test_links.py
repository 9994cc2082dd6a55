"""url_for and url_maker build exactly what reverse() does, from one reverse per route."""
import uuid

import pytest
from django.db import connection
from django.urls import reverse, set_script_prefix

from core.links import quoted, url_for, url_format, url_maker, url_sql

UID = uuid.UUID("6f1c2a6e-1d2b-4c3a-9e8f-0a1b2c3d4e5f")


@pytest.mark.parametrize("name, kwargs", [
    ("assets:rendition", {"uid": UID, "number": 3, "spec": "width-320|format-webp"}),
    ("assets:rendition", {"uid": UID, "number": 12, "spec": "fill-40x40 ünïcode%"}),
    ("assets:detail", {"uid": UID}),
    ("api:asset-detail", {"uid": UID}),
    ("api:asset-list", {}),
])
def test_url_for_matches_reverse(name, kwargs):
    assert url_for(name, **kwargs) == reverse(name, kwargs=kwargs)
    other = {key: (uuid.uuid4() if isinstance(value, uuid.UUID) else value) for key, value in kwargs.items()}
    assert url_for(name, **other) == reverse(name, kwargs=other)  # the template is reused, not the values


def test_url_for_follows_the_script_prefix():
    try:
        set_script_prefix("/dam/")
        assert url_for("assets:detail", uid=UID) == reverse("assets:detail", kwargs={"uid": UID})
        assert url_for("assets:detail", uid=UID).startswith("/dam/")
    finally:
        set_script_prefix("/")


def test_url_maker_names_many_objects_with_the_prefix_of_its_request():
    try:
        set_script_prefix("/dam/")
        rendition = url_maker("assets:rendition", origin="https://dam.example")
        set_script_prefix("/")
        uids = [uuid.uuid4() for _ in range(3)]
        assert [rendition(uid=uid, number=2, spec="width-640|format-avif") for uid in uids] == [
            "https://dam.example/dam" + reverse("assets:rendition", kwargs={
                "uid": uid, "number": 2, "spec": "width-640|format-avif"}) for uid in uids]
    finally:
        set_script_prefix("/")


def test_url_format_is_the_route_under_an_origin_with_a_field_per_argument():
    rendition = url_format("assets:rendition", origin="https://dam.example", uid="uuid", number="int", spec="str")
    for spec in ("width-320|format-webp", "fill-40x40 ünïcode%{}"):
        assert rendition.format(uid=str(UID), number=3, spec=quoted(spec)) == "https://dam.example" + reverse(
            "assets:rendition", kwargs={"uid": UID, "number": 3, "spec": spec})
    try:
        set_script_prefix("/dam/")
        assert url_format("api:asset-detail", uid="uuid").format(uid=UID) == reverse(
            "api:asset-detail", kwargs={"uid": UID})
    finally:
        set_script_prefix("/")


@pytest.mark.django_db
def test_url_sql_is_the_route_written_by_postgres():
    uid_sql = f"'{UID}'::uuid::text"
    sql, params = url_sql("assets:rendition", "https://dam.example", uid=("uuid", uid_sql), number=("int", "12::text"),
                          spec=("str", "'width-320%%7Cformat-webp'"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        assert cursor.fetchone()[0] == "https://dam.example" + reverse(
            "assets:rendition", kwargs={"uid": UID, "number": 12, "spec": "width-320|format-webp"})
