"""CareerLadder settings, driven by environment variables (django-environ).

Embedded default: a SQLite file in the project folder, no broker (Celery runs tasks in
process), console e-mail. Production points ``DATABASE_URL`` at Postgres and
``CELERY_BROKER_URL``/``REDIS_URL`` at Redis; see README "Configuration".
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))


def _dev_secret_key() -> str:
    """A per-checkout random key for the embedded default; production must set SECRET_KEY."""
    key_file = BASE_DIR / "var" / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default=None) or _dev_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "careerladder.core",
    "technicians",
    "competencies",
    "tiers",
    "tracks",
    "incentives",
    "certifications",
    "training",
    "metrics",
    "notifications",
    "progress",
    "imports",
]

MIDDLEWARE = [
    # First: a read whose database connection dropped mid-request runs once more.
    "careerladder.core.dbretry.RetryReadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "careerladder.core.middleware.SessionAbsoluteTimeoutMiddleware",
    "careerladder.core.middleware.NoStoreMiddleware",
    "careerladder.core.middleware.RefusalLoggingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "careerladder.core.middleware.ControlCharacterMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 answer.
    "axes.middleware.AxesMiddleware",
]

# The audit trail is read-only: no "Revert" in the admin (careerladder/core/audit.py).
SIMPLE_HISTORY_REVERT_DISABLED = True
# A change reason names every field a policy edit changed ("max pharmacist hours: 5 → 3; ..."):
# a text column, not the default 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

ROOT_URLCONF = "careerladder.urls"
WSGI_APPLICATION = "careerladder.wsgi.application"
ASGI_APPLICATION = "careerladder.asgi.application"

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
                "careerladder.core.context_processors.navigation",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'careerladder.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the web process read while a background command writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Postgres compiles a query to machine code (JIT) once its estimated cost passes a
    # threshold: the KPI aggregates cross it at a few thousand technicians and then spend more
    # time compiling than running (docs/benchmarks.md). Short queries never gain from it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "technicians.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: idle timeout (refreshed on each request) and browser-close expiry.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
# Database sessions that reconnect once when the connection dropped (careerladder/core/dbretry.py).
SESSION_ENGINE = "careerladder.core.dbretry"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Absolute timeout: a login lasts at most this long, however active (NIST SP 800-63B AAL2:
# 12 hours). Enforced by careerladder.core.middleware.SessionAbsoluteTimeoutMiddleware.
SESSION_ABSOLUTE_AGE = env.int("SESSION_ABSOLUTE_AGE", default=12 * 60 * 60)

# Login throttling (django-axes). The standalone backend comes first and refuses a locked-out
# caller before any password is checked; ModelBackend does the real work. Five failures of one
# username from one address lock that pair out for 15 minutes (counted from the last failure;
# tries during the lockout do not extend it), so a colleague behind the same hospital NAT is
# never locked out by someone else's typos. A successful login clears the count. The token
# endpoint goes through the same authenticate() and is also rate limited per address (DRF).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "careerladder.core.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "careerladder.core.security.client_ip"
# Proxies in front of the app that append the caller to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Content-Security-Policy (django-csp), in every environment so that the tests meet it too: no
# inline script, style or event handler anywhere; JS and CSS come from static files. data:
# images are Bootstrap's SVG icons (form controls, close buttons). The evidence view sends its
# own, stricter policy (sandbox). /api/docs/ loads its start-up script from the same view
# (drf-spectacular's split Swagger view), so it needs no exception either.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# An API token lasts this long from when it was issued (hours), as a session lasts at most
# SESSION_ABSOLUTE_AGE; then it answers 401 and the client asks for a new one. Logging out
# (DELETE /api/v1/auth/token/), a new password or a deactivation revoke it at once.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=12)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call answers 401 with a WWW-Authenticate header.
        # DRF's tokens with an expiry (API_TOKEN_TTL_HOURS, above).
        "careerladder.core.security.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every endpoint needs a logged-in user and scopes its own queryset.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "careerladder.core.api.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DATE_FORMAT": "%Y-%m-%d",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
    "EXCEPTION_HANDLER": "careerladder.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth-token": env("AUTH_TOKEN_THROTTLE", default="10/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CareerLadder API",
    "DESCRIPTION": "Pharmacy-technician career growth: people, tiers, certifications, training and KPIs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Every operation also documents its error answers (400/401/403/404/429).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "careerladder.core.api.document_error_responses",
    ],
}


# Cache: the cached reads of careerladder/core/versions.py and small flags. Every process must
# share it once there is more than one (gunicorn workers, Celery workers): production sets
# CACHE_URL to Redis (docker-compose.yml: redis://redis:6379/2). The embedded default runs one
# process, where memory is enough.
def cache_config(url: str) -> dict:
    """``CACHES["default"]`` for a ``CACHE_URL`` (the fault tests build theirs with it too)."""
    config = environ.Env.cache_url_config(url)
    if config["BACKEND"].endswith("LocMemCache"):
        config.setdefault("OPTIONS", {})["MAX_ENTRIES"] = 20_000
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # A Redis outage makes pages slower, never failing (careerladder/core/cache.py): every
        # call answers (a miss) and gives up on an unreachable host within these timeouts.
        config["BACKEND"] = "careerladder.core.cache.FailSafeRedisCache"
        config.setdefault("OPTIONS", {}).update(
            {
                "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
            }
        )
    return config


CACHES = {"default": cache_config(env("CACHE_URL", default="locmemcache://careerladder"))}
# How long a cached read may live at most (seconds); 0 computes every read.
CACHED_READ_SECONDS = env.int("CACHED_READ_SECONDS", default=600)

# Celery: with no broker configured, tasks run in process (eager) so the embedded default
# needs no server. REDIS_URL is accepted as the broker when CELERY_BROKER_URL is unset.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="") or REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=20 * 60)
# Redis hands a message that a worker took but never acknowledged to another worker after the
# visibility timeout. It must outlast the longest task (CELERY_TASK_TIME_LIMIT; the system check
# careerladder.W001 says so), or a running task is started twice; it is also how long the
# messages of a worker killed outright (SIGKILL, power loss) wait before they run elsewhere.
# The connect timeout keeps a web request that queues a task from hanging on an unreachable
# Redis (the caller reports "queue unavailable" instead).
_REDIS_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60),
    "socket_connect_timeout": 5,
    # A Redis that accepts connections but does not answer (paused, a dead network path) must
    # not hold a web request that queues a task: give up after this many seconds.
    "socket_timeout": env.int("CELERY_REDIS_SOCKET_TIMEOUT", default=5),
    "socket_keepalive": True,
}
CELERY_BROKER_TRANSPORT_OPTIONS = dict(_REDIS_TRANSPORT_OPTIONS)
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = dict(_REDIS_TRANSPORT_OPTIONS)
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 5
# A worker waits out a Redis outage of any length instead of exiting after 100 attempts.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Nothing waits on a task's return value (progress is read from the rows tasks write), so
# queueing touches only the broker; failures are still stored for inspection.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_STORE_ERRORS_EVEN_IF_IGNORED = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CareerLadder <careerladder@localhost>")
# A mail server that stops answering must fail the send (retried later), not hang the worker.
EMAIL_TIMEOUT = 30
# The address people open the app at, for links in e-mails (which have no request to ask).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Failed logins, lockouts, refused authorisations, ended sessions (core/security.py).
        "careerladder.security": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
