"""Settings for the test suite: the real services of ``dam.settings`` (started apart from a developer's data by
the ``dam.test_environment`` plugin), with a fast password hasher and mail kept in files."""
import os

from dam.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A Celery worker started by the suite connects straight to pytest-django's test database.
if os.environ.get("LUMEN_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["LUMEN_TEST_DB_NAME"]  # noqa: F405

# In-process tests get Django's locmem mailbox; the suite's Celery worker writes mail here instead.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"  # noqa: F405
