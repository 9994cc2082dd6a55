"""``manage.py runstack`` as an operator runs it (``LUMEN_S3=embedded``), on a Postgres over TCP and a Redis of its
own, and the faults it must ride out: a worker killed mid-batch, Redis and Postgres restarted under it."""
import hashlib
import json
import os
import time
from types import SimpleNamespace

import psutil
import pytest
import urllib3
from stacks import Api, Machine, PostgresOverTcp, RedisServer, admin_env, distinct_photos, wait_until_processed

from assets.renditions import default_specs
from support import wait_for

pytestmark = pytest.mark.slow
SPECS = [str(spec) for spec in default_specs()]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("stack")
    postgres = PostgresOverTcp().start()
    redis = RedisServer(root / "redis").start()
    admin = admin_env()
    machine = Machine(root / "machine", env={
        "DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "LUMEN_S3": "embedded", **admin,
        # The sweeps look often here; in production every 5 minutes for work stalled 10 (README).
        "LUMEN_STALLED_AFTER_SECONDS": "10", "LUMEN_SWEEP_INTERVAL_SECONDS": "5",
    })
    try:
        machine.start()
        yield SimpleNamespace(postgres=postgres, redis=redis, machine=machine,
                              api=Api(machine.url, admin["LUMEN_ADMIN_USER"], admin["LUMEN_ADMIN_PASSWORD"]))
    finally:
        machine.stop()
        redis.stop()
        postgres.remove()


def upload_all(api, photos):
    uids = []
    for name, data in photos:
        response = api.upload(data, name)
        assert response.status == 201, (response.status, response.data[:300])
        uids.append(response.json()["uid"])
    return uids


def test_a_worker_killed_mid_batch_is_restarted_and_every_asset_is_processed_exactly_once(stack):
    """SIGKILL of each pool's main process while it holds a task: runstack starts it again, web and beat stay up,
    the held task runs again within a minute (the lease it renewed lapses after 30 s), and no asset is lost or
    processed into twins."""
    machine, redis = stack.machine, stack.redis
    before = machine.children()
    uids = []

    for pool, task, first in (("renditions", "assets.tasks.process_version", 0),
                              ("enrichment", "enrichment.tasks.enrich_version", 500)):
        # A batch for each kill: the first batch may be wholly enriched by the time the renditions pool is back.
        uids += upload_all(stack.api, distinct_photos(6, first=first))
        held = wait_for(lambda task=task: redis.held_tasks(task), timeout=120, interval=0.1,
                        message=f"the {pool} pool to hold a task")
        victim = machine.children()[pool]
        victim.kill()
        killed_at = time.monotonic()
        assert stack.api.get("/api/assets/")["count"] == len(uids), "the web answers while a pool is down"
        wait_for(lambda pool=pool, victim=victim: pool in machine.children() and machine.children()[pool].pid != victim.pid,
                 timeout=30, message=f"runstack to start the {pool} pool again")
        # Only a worker that ran a message acknowledges it, and the killed one cannot: gone means run again.
        wait_for(lambda held=held: not set(held) & redis.task_ids(), timeout=90, interval=0.5,
                 message=f"the tasks the killed {pool} pool held to run again")
        rerun_after = time.monotonic() - killed_at
        print(f"{pool}: the tasks the killed worker held ran again {rerun_after:.1f} s after the kill")
        assert rerun_after < 60, f"the {pool} tasks held by the killed worker ran again after {rerun_after:.0f} s"

    wait_until_processed(stack.postgres, uids, SPECS, timeout=300)
    after = machine.children()
    assert (after["web"].pid, after["beat"].pid) == (before["web"].pid, before["beat"].pid)
    assert "exited with code -9; starting it again in 1 s" in machine.log()


def test_uploads_while_redis_restarts_are_accepted_and_processed_later(stack):
    """Uploads committed while Redis is down cannot queue their processing: they still answer 201, and the sweep
    queues them once Redis is back. What Redis held (appendonly, as in docker-compose) survives the restart."""
    photos = distinct_photos(6, first=100)
    uids = upload_all(stack.api, photos[:2])
    stack.redis.stop()
    try:
        started = time.monotonic()
        uids += upload_all(stack.api, photos[2:4])
        assert time.monotonic() - started < 30, "an upload does not hang on the missing broker"
    finally:
        stack.redis.start()
    uids += upload_all(stack.api, photos[4:])
    wait_until_processed(stack.postgres, uids, SPECS, timeout=300)
    assert "has been processing with no message in the broker; queueing assets.tasks.process_version again" \
        in stack.machine.log()


def test_after_a_postgres_restart_web_and_workers_reconnect(stack):
    stack.api.get("/api/assets/")  # every process holds a connection to the old server
    stack.postgres.stop()
    down = stack.api.request("GET", "/api/assets/")
    assert (down.status, down.json()["error"], down.headers["Retry-After"]) == (503, "unavailable", "5")
    stack.postgres.start()
    assert stack.api.get("/api/assets/")["count"] > 0, "the first request after the restart is served"
    uids = upload_all(stack.api, distinct_photos(1, first=200))
    wait_until_processed(stack.postgres, uids, SPECS, timeout=180)


def test_direct_uploads_go_to_the_embedded_s3_store_out_of_the_box(stack):
    name, data = distinct_photos(1, first=300)[0]
    ticket = stack.api.request("POST", "/api/uploads/", body=json.dumps({"content_type": "image/jpeg",
                                                                         "filename": name}),
                               headers={"Content-Type": "application/json"})
    assert ticket.status == 201, ticket.data
    post = ticket.json()["post"]
    sent = urllib3.request("POST", post["url"], fields={**post["fields"], "file": (name, data)})
    assert sent.status == 204, sent.data
    confirmed = stack.api.request("POST", f"/api/uploads/{ticket.json()['uid']}/confirm/",
                                  body=json.dumps({"sha256": hashlib.sha256(data).hexdigest()}),
                                  headers={"Content-Type": "application/json"})
    assert confirmed.status == 201, confirmed.data
    wait_until_processed(stack.postgres, [confirmed.json()["uid"]], SPECS, timeout=180)
    assert not (stack.machine.root / "media").exists(), "originals and renditions live in S3, not on this disk"


def test_the_enrichment_pool_yields_the_cores_to_pages_and_thumbnails(stack):
    """Its processes run at ENRICHMENT_WORKER_NICE (10) below the rest, pool children included; the restart
    after the kill above kept it."""
    ours = psutil.Process().nice()
    children = stack.machine.children()
    enrichment = [children["enrichment"], *children["enrichment"].children()]
    assert len(enrichment) > 1 and {process.nice() for process in enrichment} == {ours + 10}
    assert {children[name].nice() for name in ("web", "beat", "renditions")} == {ours}


def test_ctrl_c_stops_every_process_it_started(stack):
    processes = [*stack.machine.children().values()]
    weed = json.loads((stack.machine.root / "s3" / "server.json").read_text())["pid"]
    stack.machine.stop()
    assert stack.machine.process.returncode == 0, stack.machine.log()[-2000:]
    assert not [process for process in processes if process.is_running()]
    with pytest.raises(ProcessLookupError):
        os.kill(weed, 0)
