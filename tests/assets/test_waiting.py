"""An upload waiting for its previews says how many are ahead of it and about how long it will take."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import Asset, Rendition
from assets.services import waiting
from assets.services.processing import process_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(make_user, make_asset):
    """Four uploads of Ann's and Ben's in order, none processed yet (no worker takes their tasks here)."""
    ann, ben = make_user("ann"), make_user("ben")
    assets = [make_asset(owner, title=f"upload {n}") for n, owner in enumerate((ann, ben, ann, ben))]
    assert all(asset.status == Asset.Status.PROCESSING for asset in assets)
    return {"ann": ann, "ben": ben, "assets": assets}


def test_each_upload_waits_behind_the_earlier_ones_still_waiting(queue):
    first, second, third, fourth = queue["assets"]
    process_version(first.current_version)  # done: no longer in the queue
    Asset.objects.filter(pk=third.pk).update(deleted_at=timezone.now())  # in the trash: nobody waits for it
    waits = waiting.waits([a.uid for a in queue["assets"]])
    assert {uid: wait.ahead for uid, wait in waits.items()} == {str(second.uid): 0, str(fourth.uid): 1}


def test_without_recent_work_the_first_guess_is_a_second_per_image(queue):
    waits = waiting.waits([queue["assets"][3].uid])
    assert waits[str(queue["assets"][3].uid)] == waiting.Wait(ahead=3, seconds=4 * waiting.FIRST_GUESS_SECONDS_PER_IMAGE)


def test_the_estimate_follows_the_pace_of_the_last_minutes(queue, make_asset):
    done = [make_asset(queue["ann"]) for _ in range(4)]
    for asset in done:
        process_version(asset.current_version)
    now = timezone.now()
    for n, asset in enumerate(done):  # one every 10 s, then nothing for a minute
        Rendition.objects.filter(version=asset.current_version).update(created_at=now - timedelta(seconds=90 - 10 * n))
    Rendition.objects.filter(version=done[0].current_version).update(created_at=now - timedelta(hours=1))  # too old
    assert waiting.seconds_per_image() == pytest.approx(10.0, abs=0.01)
    wait = waiting.waits([queue["assets"][3].uid])[str(queue["assets"][3].uid)]
    assert (wait.ahead, round(wait.seconds)) == (3, 40)
    assert wait.words() == "Waiting: 3 images ahead, less than a minute"


@pytest.mark.parametrize(("ahead", "seconds", "words"), [
    (0, 0.5, "Making previews now…"),
    (1, 61, "Waiting: 1 image ahead, about 1 minute"),
    (412, 190, "Waiting: 412 images ahead, about 3 minutes"),
    (10_000, 3 * 3600, "Waiting: 10,000 images ahead, about 3 hours"),
])
def test_words(ahead, seconds, words):
    assert waiting.Wait(ahead, seconds).words() == words


def test_tiles_and_the_asset_page_ask_how_long(queue, login):
    client = login(queue["ben"])
    second, fourth = queue["assets"][1], queue["assets"][3]
    process_version(queue["assets"][0].current_version)
    answer = client.get("/assets/status/", {"uid": [str(second.uid), str(fourth.uid), str(queue["assets"][2].uid)]})
    waits = answer.json()["waiting"]
    assert set(waits) == {str(second.uid), str(fourth.uid)}, "only what Ben may see"
    assert waits[str(fourth.uid)] == {"ahead": 2, "estimate_seconds": 3, "words": "Waiting: 2 images ahead, "
                                                                                  "less than a minute"}
    page = client.get(f"/assets/{fourth.uid}/").content.decode()
    assert "Waiting: 2 images ahead, less than a minute" in page
    assert client.get(f"/assets/{fourth.uid}/status/").json()["waiting"]["ahead"] == 2


def test_the_api_says_it_for_each_asset_of_a_page_in_one_read(queue, login, make_asset):
    client = login(queue["ann"])
    process_version(queue["assets"][0].current_version)
    listed = {a["uid"]: a["waiting"] for a in client.get("/api/assets/").json()["results"]}
    assert listed == {str(queue["assets"][0].uid): None,
                      str(queue["assets"][2].uid): {"ahead": 1, "estimate_seconds": 2,
                                                    "words": "Waiting: 1 image ahead, less than a minute"}}
    assert client.get(f"/api/assets/{queue['assets'][2].uid}/").json()["waiting"]["ahead"] == 1

    def queries_for_the_list():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/assets/").status_code == 200
        return len(queries)

    before = queries_for_the_list()
    for _ in range(3):
        make_asset(queue["ann"])
    assert queries_for_the_list() == before, "three more waiting assets, no more queries"
