"""The web server's process count: one per usable core unless WEB_CONCURRENCY says otherwise, one place decides."""
import importlib
import os

import pytest

from assets.management.commands.runstack import Command
from dam import gunicorn_config


@pytest.fixture(autouse=True)
def module_as_the_environment_left_it():
    yield
    importlib.reload(gunicorn_config)


def configured(monkeypatch, **environment):
    for name in ("WEB_CONCURRENCY", *environment):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(gunicorn_config)


def test_one_process_per_core_this_process_may_use_capped(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(3)))
    assert configured(monkeypatch).workers == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert configured(monkeypatch).workers == gunicorn_config.MAX_DEFAULT_WORKERS == 8
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert configured(monkeypatch).workers == 1


def test_web_concurrency_sets_the_count_and_an_empty_one_is_unset(monkeypatch):
    assert configured(monkeypatch, WEB_CONCURRENCY="5").workers == 5
    assert configured(monkeypatch, WEB_CONCURRENCY="").workers == gunicorn_config.default_workers()


def test_runstack_leaves_the_count_to_the_config_unless_asked():
    def web(**options):
        return Command()._commands({"host": "127.0.0.1", "port": 8000, "rendition_concurrency": 1,
                                    "enrichment_concurrency": 1, "enrichment_nice": 0, **options})["web"]

    assert "-w" not in web(web_workers=None)
    assert web(web_workers=4)[-2:] == ["-w", "4"]
