"""Settings read from the environment.

With nothing set, the project runs on embedded defaults: SQLite under var/ and
kombu's filesystem transport as the Celery broker, so `make run` needs no
server. DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis) switch to the
production stack.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Off unless asked for: `make run` and `make test` set DEBUG=1 for themselves.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    # Django's own rule (check --deploy, security.W009), refused rather than warned about.
    raise ImproperlyConfigured(
        "With DEBUG off, SECRET_KEY must be at least 50 characters, at least 5 of them "
        "different, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
if not SECRET_KEY:
    SECRET_KEY = "dev-only-insecure-key"
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# HTTPS and the browser's protections, on with DEBUG off (README, "Security").
# Behind a proxy that terminates TLS: BEHIND_PROXY=1, and the proxy must set
# X-Forwarded-Proto (overwriting the client's) and append to X-Forwarded-For.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# SECURE_SSL_REDIRECT=0 for a proxy that redirects itself, or a check over plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Sent on HTTPS answers only; a year, as check --deploy asks.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# django-csp. No inline script runs but one carrying the request's nonce
# (request.csp_nonce), and three handler attributes named by their hashes:
# `this.form.submit()` (our language and filter selects), django-import-export's
# `onSelectToggleChange(event)` and DRF's browsable API's log-out link
# `document.getElementById("logoutForm").submit()`. Inline styles stay allowed
# (the admin, DRF and Swagger UI use style attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [
            SELF,
            NONCE,
            "'report-sample'",
            "'unsafe-hashes'",
            "'sha256-osjxnKEPL/pQJbFk1dKsF7PYFmTyMWGmVSiL9inhxJY='",
            "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",
            "'sha256-tHTC1YgZ5UbAs8E2Ib4NjuSS8R05d1nfPHtbmXq05WA='",
        ],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

INSTALLED_APPS = [
    # django.contrib.admin, its site opening on each user's start page (start/).
    "start.apps.StartAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "import_export",
    "simple_history",
    "grids",
    "residents",
    "tasks",
    "outbox",
    "deliberation",
    "microprojects",
    "public",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.security.NoStoreApiMiddleware",
    # Serves collected static files under gunicorn (Swagger UI, admin assets).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChosenLanguageOnlyMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # 413 for a body too large, 400 for NUL and the like, before anything reads them.
    "common.middleware.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseBusyMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "django.template.context_processors.i18n",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

SQLITE_PATH = VAR_DIR / "db.sqlite3"
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}", conn_max_age=int(os.environ.get("CONN_MAX_AGE", 0))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take SQLite's write lock up front, which serialises
    # tree writes the way the advisory lock does on PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests run a Celery worker in a thread. Django's default in-memory test
    # database shares one cache between connections, where a write meeting a
    # read fails at once ("database table is locked") instead of waiting; a
    # file in WAL mode behaves as the embedded deployment does.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one
# user name from one address, that pair is locked for LOGIN_LOCKOUT_MINUTES, counted
# from the last attempt. Every authenticate() goes through it: the admin's login,
# /api/auth/login/. A superuser lifts it in the admin (Axes → access attempts) or
# `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.locked_out"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_VERBOSE = False  # no banner on every manage.py command; failures are still logged
# Whom the lockout page tells the user to ask, e.g. "街道网格办 王工 0571-8888 0000".
LOGIN_LOCKOUT_CONTACT = os.environ.get("LOGIN_LOCKOUT_CONTACT", "")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# In development the finders serve files straight from the apps, no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded task photos and PDFs. Never served from a public URL: tasks.views.attachment
# hands one out to a user who may see its task.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
# One photo or PDF on a task, and how many one upload may carry: together under the
# request limit (MAX_IMPORT_FILE_BYTES), so a full upload is never cut off halfway.
TASK_ATTACHMENT_MAX_BYTES = int(os.environ.get("TASK_ATTACHMENT_MAX_BYTES", 8 * 1024 * 1024))
TASK_ATTACHMENTS_PER_UPLOAD = 6
TASK_ATTACHMENTS_PER_TASK = 30
# A matter's photos and PDFs: the same size limit as a task's.
MATTER_FILES_PER_UPLOAD = 6
MATTER_FILES_PER_MATTER = 60
# 公示期: the days a published resolution is open to objections.
DELIBERATION_PUBLICITY_DAYS = int(os.environ.get("DELIBERATION_PUBLICITY_DAYS", 7))
# Posts (ideas, raised hands, sign-ups, ratings) one address may make per hour on the
# public pages, for each kind of post.
PUBLIC_POSTS_PER_HOUR = int(os.environ.get("PUBLIC_POSTS_PER_HOUR", 20))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "config.security.AnonymousRequestsCounted",
        "grids.api_permissions.ModelPermissions",
    ],
    "DEFAULT_PAGINATION_CLASS": "grids.api_query.Pagination",
    # A 400 in Chinese for JSON too deep, malformed, or holding NUL (common/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "PAGE_SIZE": 50,
    # Rates per user and, for anonymous requests, per address (config/security.py);
    # the counts live in the cache below, so shared only with Redis.
    "DEFAULT_THROTTLE_CLASSES": [
        "config.security.AnonRateThrottle",
        "config.security.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/min"),
    },
    "NUM_PROXIES": 1 if BEHIND_PROXY else None,
    "DEFAULT_SCHEMA_CLASS": "grids.api_schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    # Lazy: the schema and Swagger UI are in the reader's language.
    "TITLE": _("Micro-grid administration API"),
    "DESCRIPTION": _(
        "The grid tree, its staff and the residents' register. Every answer holds only "
        "what lies in your jurisdiction; ID numbers and phones are masked unless you "
        "may see them."
    ),
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and Swagger UI describe the API to logged-in users only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "NodeKindEnum": "grids.models.Kind",
        "PartyMembershipEnum": "grids.models.PartyMembership",
        "MatterStageEnum": "deliberation.models.Stage",
        "TaskStageEnum": "tasks.models.Stage",
        "IdeaSourceEnum": "microprojects.models.IdeaSource",
        "TaskSourceEnum": "tasks.models.Source",
        "MilestoneStatusEnum": "deliberation.models.MilestoneStatus",
    },
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("queue", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu polls the folder once a second by default; a worker told to
        # stop notices only between polls (see scripts/serve.sh).
        "polling_interval": 0.1,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "verify-tree-integrity": {
        "task": "grids.jobs.verify_tree_integrity",
        "schedule": crontab(minute=17, hour=3),
    },
    "fail-stalled-imports": {
        "task": "residents.jobs.fail_stalled_imports",
        "schedule": crontab(minute="*/10"),
    },
    "delete-expired-import-uploads": {
        "task": "residents.jobs.delete_expired_uploads",
        "schedule": crontab(minute=37, hour=3),
    },
    # Deadlines are rows; the sweep is one indexed query when nothing is due. A wake-up
    # still queued after two seconds is stale: the next one does the same work.
    "sweep-escalations": {
        "task": "tasks.jobs.sweep_escalations",
        "schedule": 1.0,
        "options": {"expires": 2.0},
    },
    "send-late-deliveries": {
        "task": "outbox.jobs.send_late_deliveries",
        "schedule": 30.0,
        "options": {"expires": 30.0},
    },
}
# Outside channels (outbox/): a failed delivery is tried again after the base, tripled
# each time (5 s, 15 s, 45 s …, at most 10 min), up to the attempts.
OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", 5))
OUTBOX_MAX_ATTEMPTS = 6
# A real gateway's backend (with `send(phone, text)`) replaces the one that only logs.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "outbox.senders.LoggingSms")
# Robots live on https://; plain http only for a local receiver in development and tests.
WEBHOOK_ALLOW_HTTP = DEBUG
# Outside messages link to the task when the platform's address is known.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

# Throttle counts (DRF) and anything else cached. Redis when there is one
# (CACHE_URL, else a redis:// CELERY_BROKER_URL), so every gunicorn worker sees
# the same counts; in memory, per process, otherwise.
CACHE_URL = os.environ.get("CACHE_URL", "")
if not CACHE_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHE_URL = CELERY_BROKER_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "microgrid",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refusal (403, 404, a suspicious request's 400) is one WARNING line; a 5xx
    # keeps its traceback. On the handler, for the django.security.* loggers too (a
    # logger's filter never sees its children's records); on django.request, for
    # every other handler as well.
    "filters": {"refusals": {"()": "common.log_filters.RefusalsAsOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Named only to drop Django's own handlers: its console one (DEBUG only) printed
        # every django.* line a second time beside the root's, and with no ADMINS its
        # mail_admins one sends nothing.
        "django": {"handlers": []},
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["refusals"]},
    },
}

# Upper bound for uploaded tree and register files.
MAX_IMPORT_FILE_BYTES = int(os.environ.get("MAX_IMPORT_FILE_BYTES", 50 * 1024 * 1024))
# A request longer than that plus this (multipart headers, the form's other fields) is
# refused by its Content-Length, unread (413); files stop streaming at the limit itself.
UPLOAD_ENVELOPE_BYTES = 64 * 1024
FILE_UPLOAD_HANDLERS = [
    "common.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Uploads above this go to a file under var/ (not /tmp, often a tmpfs held in memory).
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_TEMP_DIR = VAR_DIR / "uploads"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
# A form's fields (files apart) and a JSON body are read into memory up to this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
CSRF_FAILURE_VIEW = "common.errors.csrf_failure"
# Days an uploaded register file (full ID numbers and phones) is kept.
IMPORT_UPLOAD_RETENTION_DAYS = int(os.environ.get("IMPORT_UPLOAD_RETENTION_DAYS", 30))
# An import checking or writing with no progress for this long lost its worker.
IMPORT_STALLED_AFTER_MINUTES = int(os.environ.get("IMPORT_STALLED_AFTER_MINUTES", 30))
