"""The suite's own services: two test sessions on one machine never share a Redis database."""
import os
import subprocess
import sys

from dam.test_environment import SUITE_REDIS_DBS, _held_locks
from support import REPO

TWO_SESSIONS = """
from dam.test_environment import _unshared_redis_db
print(_unshared_redis_db(), _unshared_redis_db())
"""


def test_each_session_takes_a_redis_database_no_other_session_holds():
    """Two more sessions started beside this one each get a database of their own, and not this session's."""
    taken = subprocess.run([sys.executable, "-c", TWO_SESSIONS], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.split()
    first, second = (int(db) for db in taken)
    assert first != second
    assert {first, second} <= set(SUITE_REDIS_DBS)
    if _held_locks:  # this session chose its own database (the caller did not name one)
        assert int(os.environ["LUMEN_REDIS_DB"]) not in {first, second}


def test_a_database_is_free_again_once_its_session_ends():
    once = subprocess.run([sys.executable, "-c", TWO_SESSIONS], cwd=REPO, capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, "-c", TWO_SESSIONS], cwd=REPO, capture_output=True, text=True, check=True)
    assert once.stdout == again.stdout
