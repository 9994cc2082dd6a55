"""Settings for the test suite: the same real services, kept apart from a developer's data.

Tests get their own embedded Postgres directory (``var/test``), Redis database 15 and
media folder, so running the suite never touches what ``make run`` serves.
"""
import os
from pathlib import Path

_base = Path(__file__).resolve().parent.parent
os.environ.setdefault("LUMEN_VAR_DIR", str(_base / "var" / "test"))
os.environ.setdefault("LUMEN_REDIS_DB", "15")

from dam.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A Celery worker started by the suite connects straight to pytest-django's test database.
if os.environ.get("LUMEN_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["LUMEN_TEST_DB_NAME"]  # noqa: F405

# In-process tests get Django's locmem mailbox; the suite's Celery worker writes mail here instead.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"  # noqa: F405
