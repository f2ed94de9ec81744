"""StepWise settings: one module, read from the environment.

With nothing set, StepWise runs on SQLite, runs Celery tasks in process and prints e-mail to the
console, so `make run` works on a bare machine. Every real service is switched on by an
environment variable (see `.env.example`). Nothing here reads the clock or the database.
"""

from __future__ import annotations

import logging
import os
import sys
import zoneinfo
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from infra.env import (
    check_production_secret_key,
    env_bool,
    env_int,
    env_list,
    env_str,
    media_storage,
    parse_database_url,
    redis_cache,
    redis_database,
    redis_database_of,
)
from infra.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
TESTING = "pytest" in sys.modules or env_bool("TESTING", False)

# --- secret key -------------------------------------------------------------------------------
_DEV_SECRET_KEY = "django-insecure-stepwise-development-only-never-use-in-production"  # noqa: S105 (refused when DEBUG is off)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY
    # Once per process; not again in the process runserver reloads the code in (RUN_MAIN).
    if not TESTING and os.environ.get("RUN_MAIN") != "true":
        sys.stderr.write(
            "StepWise is using the development SECRET_KEY: set SECRET_KEY before real use.\n"
        )
elif not DEBUG:
    check_production_secret_key(SECRET_KEY, BASE_DIR)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "recovery.views.csrf_failure"

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CLINIC_NAME = env_str("CLINIC_NAME", "StepWise Spine Clinic")
CLINIC_PHONE = env_str("CLINIC_PHONE", "(555) 010-2030")
# The clinic's on-call inbox (DESIGN section 1 rule 7): every emergency alert at once, and any
# same-day alert (warning sign or severe pain) not acknowledged within ALERT_ESCALATE_HOURS.
# Empty: nothing escalates (a warning is logged each pass), so set it in production.
CLINIC_ALERT_EMAIL = env_str("CLINIC_ALERT_EMAIL")
ALERT_ESCALATE_HOURS = env_int("ALERT_ESCALATE_HOURS", 4, minimum=1)

# --- applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "stepwise.admin_apps.StepWiseAdminConfig",  # django.contrib.admin with TOTP required
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "import_export",
    "recovery",
    "plans",
    "outcomes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "infra.addresses.RequestAddressMiddleware",
    # Before anything reads the request: a hostile charset, NUL byte or body is a 400, not a 500.
    "infra.middleware.HostileInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Signed out: the language switch's cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed in: the language stored on the account (a patient's e-mails use it too).
    "infra.middleware.AccountLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "infra.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "infra.middleware.NoStoreMiddleware",
    # Axes must come last: it turns a lockout raised during authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "stepwise.urls"
WSGI_APPLICATION = "stepwise.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "infra.context_processors.clinic",
            ],
            # Cached loader always: templates are parsed once per process, not once per request.
            # (In DEBUG, runserver restarts on code changes; template edits need a reload.)
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
        },
    }
]

# --- database ---------------------------------------------------------------------------------
_conn_max_age = env_int("CONN_MAX_AGE", 60, minimum=0)
_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {
        "default": parse_database_url("DATABASE_URL", _database_url, conn_max_age=_conn_max_age)
    }
    # Behind PgBouncer in transaction mode (README, "When one machine is not enough") a
    # server-side cursor cannot outlive the transaction its connection was lent for.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
        "DISABLE_SERVER_SIDE_CURSORS", False
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# The suite runs in parallel processes (pytest-xdist: gw0, gw1, ...); tests empty the cache and
# count rate limits in it, so each process takes a Redis database of its own, the next ones up.
TEST_PROCESS = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if TESTING and REDIS_URL and TEST_PROCESS:
    REDIS_URL = redis_database(REDIS_URL, redis_database_of(REDIS_URL) + TEST_PROCESS)
# The cache holds counters (rate limits, the account-wide sign-in throttle) and progress charts
# keyed by their content (plans.charts), shared by every process through Redis. A Redis that
# hangs must not hold a request: each connect and each reply may take REDIS_TIMEOUT_SECONDS, with
# no retry, and every caller treats the cache as optional.
REDIS_TIMEOUT_SECONDS = 0.25
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, timeout=REDIS_TIMEOUT_SECONDS)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "recovery.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "recovery.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; the suite hashes thousands of passwords. Production keeps Argon2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
OTP_TOTP_ISSUER = "StepWise"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # an enrolment link stays valid for three days

# Lockout (django-axes): five failures for one username from one address lock that pair for
# 15 minutes. Keying on the pair means an attacker cannot lock a patient out from elsewhere.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts refused during a lockout are not counted: it ends 15 minutes after the fifth failure,
# however often someone keeps trying (and the account-wide pause below cannot extend itself).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "recovery.backends.lockout_response"  # the template, or the pause below
AXES_VERBOSE = False
# Account-wide throttle on top (recovery.backends): 20 failures for one username within 15
# minutes, from any addresses, pause that username for 15 minutes (doubling for each further
# pause within a day, at most 2 hours). Refused attempts do not count; an address the account
# signed in from before is not paused. Never a permanent lock-out (SECURITY.md).
ACCOUNT_THROTTLE_FAILURES = 20
ACCOUNT_THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_THROTTLE_PAUSE = timedelta(minutes=15)
ACCOUNT_THROTTLE_PAUSE_MAX = timedelta(hours=2)

# --- import and export (django-import-export) ---------------------------------------------------
# Uploaded files wait for confirmation under random names in a private folder; a confirmation
# naming anything else is refused (infra.spreadsheets.ImportTempStorage, SECURITY.md).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "infra.spreadsheets.ImportTempStorage"

# --- sessions ---------------------------------------------------------------------------------
# In the database (Django's default): a flush, restart or outage of Redis signs nobody out. The
# last-seen time is written at most once a minute (infra.middleware.SEEN_RESOLUTION).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Idle limits per role (seconds) and an absolute cap, enforced by SessionTimeoutMiddleware.
SESSION_IDLE_SECONDS = {"patient": 30 * 60, "clinician": 15 * 60, "staff": 15 * 60}
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- security headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # no form here needs more; bigger bodies get a 400
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    # __Host- cookies must be Secure, path=/ and carry no Domain: the browser enforces all three.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

if not DEBUG:
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}

# --- static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from npm (package.json + lock file), never from a CDN or a committed copy.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
# --- uploaded files (exercise pictures) ---------------------------------------------------------
# On the file system under MEDIA_ROOT by default (docker compose keeps it on the `media` volume);
# in an S3-compatible bucket when S3_BUCKET is set. Either way files are only ever served by
# plans.views_pictures (access checked, fixed content type), never straight from MEDIA_ROOT or the
# bucket: keep the bucket private. Nothing here contacts the bucket at start-up.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
S3_BUCKET = env_str("S3_BUCKET")
_MEDIA_STORAGE = media_storage(
    S3_BUCKET,
    # Empty: AWS itself; e.g. https://s3.example.org for MinIO, R2 or another provider.
    endpoint_url=env_str("S3_ENDPOINT_URL"),
    # Empty: boto3's own chain (an instance role, ~/.aws, AWS_* variables).
    access_key=env_str("S3_ACCESS_KEY_ID"),
    secret_key=env_str("S3_SECRET_ACCESS_KEY"),
    region=env_str("S3_REGION"),
)

STORAGES = {
    "default": _MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG and not TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG or TESTING)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- i18n / time ------------------------------------------------------------------------------
# English and Spanish, complete (DESIGN section 10). The catalogue is compiled into the
# repository (locale/es/LC_MESSAGES/django.mo), so `make run` needs no GNU gettext.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "stepwise_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
TIME_ZONE = "UTC"  # stored in UTC; each patient's week and reminder hour use their own zone
# Clinicians read times of day (clearance decisions and their history) on the clinic's clock.
CLINIC_TIME_ZONE = env_str("CLINIC_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(CLINIC_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
    raise ImproperlyConfigured(
        f"CLINIC_TIME_ZONE={CLINIC_TIME_ZONE!r} is not a time zone; use a name such as "
        "America/New_York."
    ) from error
USE_I18N = True
USE_TZ = True

# --- e-mail -----------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "StepWise <no-reply@stepwise.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_HOST not in {"localhost", "127.0.0.1"})
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker and beat log through LOGGING below (JSON lines in production), not Celery's format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task redelivered by Redis after this long must already be finished or dead: longer than the
# longest task (15 min) plus its retry delay.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Tasks a task queues (the reminder batches) go to this queue: run workers on it.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE = {
    # Outbox pass: alert e-mails that could not be queued or sent at the time (broker or SMTP down).
    "deliver-pending-alerts": {"task": "plans.tasks.deliver_pending_alerts", "schedule": 5 * 60},
    # Escalation pass: alerts the on-call inbox is due (emergencies not yet sent, same-day alerts
    # unacknowledged for ALERT_ESCALATE_HOURS), each sent once.
    "escalate-alerts": {"task": "plans.tasks.escalate_alerts", "schedule": 5 * 60},
    # E-mail outbox pass: set-password and reset links not sent yet (broker or SMTP down), with
    # backoff after a failure (recovery/outbox.py).
    "send-due-outbox-emails": {"task": "recovery.tasks.send_due_outbox_emails", "schedule": 2 * 60},
    # Weekly reminders: claim due plan-weeks, send in batches, retry unsent (plans/reminders/).
    "send-due-reminders": {
        "task": "plans.tasks.send_due_reminders",
        "schedule": crontab(minute="*/15"),
    },
    # Outcome questionnaires: create the due rows whose window opened on each patient's calendar,
    # close the missed ones (outcomes/services.py). Hourly: windows are days in every time zone.
    "schedule-questionnaires": {
        "task": "outcomes.tasks.schedule_questionnaires",
        "schedule": crontab(minute=7),
    },
    # Picture files no row names (an admin page rolled back after the upload), once a day at a
    # quiet hour; the worker mounts the same media volume as the web (docker-compose.yml).
    "sweep-pictures": {
        "task": "plans.tasks.sweep_pictures",
        "schedule": crontab(hour=3, minute=41),
    },
}

# --- reminders (plans/reminders/) -----------------------------------------------------------
REMINDER_BATCH_SIZE = env_int("REMINDER_BATCH_SIZE", 1000, minimum=1)  # plans per batch task
REMINDER_SEND_BATCH = env_int("REMINDER_SEND_BATCH", 250, minimum=1)  # messages per connection
# A sender owns the rows it took for this long. Longer than the hard time limit, so a row is only
# taken again once the task that held it has finished or been killed.
REMINDER_LEASE_SECONDS = env_int("REMINDER_LEASE_SECONDS", CELERY_TASK_TIME_LIMIT + 60, minimum=1)
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 6, minimum=1)
# What else the weekly reminder mentions, without health detail: each a dotted path to a function
# (patient ids of one send batch, the moment) → {patient id: one sentence}. Plans reads the paths,
# never imports the apps above it (DESIGN section 12), as Django reads context processors.
REMINDER_NOTICES = ["outcomes.notices.questionnaire_waiting"]
# What other apps add to a clinician's triage (plans imports none of them): each answers
# {patient_id: [Reason, ...]} for the panel's patients in one query.
TRIAGE_REASONS = ["outcomes.triage.worse_than_baseline"]
# What other apps add to the patient's settings page (plans imports none of them): each is called
# with (request, patient) and answers the section's HTML.
PATIENT_SETTINGS_SECTIONS = ["api.views_devices.devices_section"]

# --- logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json (got {LOG_FORMAT!r}).")
if not TESTING:
    # A library's warning (whitenoise, Django) is a log line in the same format, not raw stderr.
    logging.captureWarnings(True)
LOGGING = logging_config(
    level=LOG_LEVEL, log_format=LOG_FORMAT, in_process_tasks=CELERY_BROKER_URL == "memory://"
)

# --- the API (DESIGN section 11; api/) --------------------------------------------------------
# Closed by default: every view names who may call it. Session authentication enforces CSRF on
# writes, as the web forms do.
REST_FRAMEWORK = {
    # A device token first (its header answers 401 to a request without credentials), then the
    # browser's session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "StepWise API",
    "DESCRIPTION": "Patients' plans, sessions and questionnaires; clinicians' triage and records.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's JavaScript and CSS come from drf-spectacular-sidecar, served by the app.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set shared by several fields (dotted paths: the apps load later).
    "ENUM_NAME_OVERRIDES": {
        "ActivityEnum": "recovery.models.Activity",
        "AlertKindEnum": "plans.models.AlertKind",
        "AlertTierEnum": "plans.models.AlertTier",
        "AlertOutcomeEnum": "plans.models.AlertOutcome",
        "AlertOutcomeChosenEnum": "api.requests.ALERT_OUTCOMES_CHOSEN",
        "ClearanceStatusEnum": "recovery.models.ClearanceStatus",
        "DecisionEnum": "api.serializers.DECISIONS",
        "EmergencySignEnum": "plans.forms.EMERGENCY_CHOICES",
        "PainDurationEnum": "plans.models.PainDuration",
        "PlanStatusEnum": "plans.models.PlanStatus",
        "RedFlagEnum": "plans.models.RedFlag",
        "SameDaySignEnum": "plans.forms.SAME_DAY_CHOICES",
        "TriageTierEnum": "api.serializers_clinic.TIERS",
        "WeekdayEnum": "recovery.models.Weekday",
    },
}
