"""Entry points start what the environment lacks; settings only read it (and start nothing, write nothing)."""
import os
import subprocess
import sys

import pytest

from dam import embedded
from support import REPO

CONFIGURED = {"DATABASE_URL": "postgres://lumen@db.example/lumen", "REDIS_URL": "redis://broker.example:6379/0"}


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "LUMEN_ENCRYPTION_KEYS", "LUMEN_ENCRYPT_AT_REST", "S3_BUCKET", *CONFIGURED):
        monkeypatch.delenv(name, raising=False)
    for name, value in CONFIGURED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LUMEN_VAR_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_given_servers_are_kept_and_keys_are_made_once_readable_by_the_owner_only(clean_environment):
    var_dir = embedded.prepare_environment()
    assert var_dir == clean_environment and {name: os.environ[name] for name in CONFIGURED} == CONFIGURED
    secret, keys = os.environ["SECRET_KEY"], os.environ["LUMEN_ENCRYPTION_KEYS"]
    assert (var_dir / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (var_dir / "encryption_key").read_text() == keys
    del os.environ["SECRET_KEY"], os.environ["LUMEN_ENCRYPTION_KEYS"]
    embedded.prepare_environment()
    assert (os.environ["SECRET_KEY"], os.environ["LUMEN_ENCRYPTION_KEYS"]) == (secret, keys), "restarts keep them"


@pytest.mark.parametrize("setting", [{"S3_BUCKET": "media"}, {"LUMEN_ENCRYPT_AT_REST": "false"},
                                     {"LUMEN_ENCRYPTION_KEYS": "given"}])
def test_no_key_file_when_files_are_not_encrypted_locally_or_keys_are_given(clean_environment, monkeypatch, setting):
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    embedded.prepare_environment()
    assert not (clean_environment / "encryption_key").exists()


def settings_import(env):
    return subprocess.run([sys.executable, "-c", "import dam.settings"], cwd=REPO, capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], **env})


def test_settings_without_a_database_say_what_to_do_and_write_nothing(tmp_path):
    var_dir = tmp_path / "var"
    imported = settings_import({"LUMEN_VAR_DIR": str(var_dir), "SECRET_KEY": "x", "LUMEN_ENCRYPT_AT_REST": "false"})
    assert imported.returncode != 0 and "DATABASE_URL is not set. `make run` (manage.py) sets it up" in imported.stderr
    assert not var_dir.exists()


def test_settings_import_with_the_environment_alone(tmp_path):
    imported = settings_import({"LUMEN_VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "x",
                                "LUMEN_ENCRYPTION_KEYS": "k", **CONFIGURED})
    assert imported.returncode == 0, imported.stderr
    assert not (tmp_path / "var").exists()
