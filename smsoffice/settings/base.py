"""Settings shared by every environment.

Every value that differs between machines comes from the environment (12-factor,
https://django-environ.readthedocs.io/); `.env.example` lists them all.
"""

import datetime as dt
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# SQLite files, the embedded broker and beat's schedule live here in development.
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's form templates, found by the project's renderer (smsoffice/forms.py).
    "django.forms",
    "axes",
    "django_prometheus",
    "accounts",
    "credits",
    "messaging",
    "reminders",
    "mailalerts",
    "broadcasts",
    # The shell: commands that may import every app (demo_data).
    "smsoffice",
]

MIDDLEWARE = [
    # First and last: counts every request and its latency (/metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id for the logs, handed on to the Celery tasks the request starts.
    "smsoffice.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Next to SecurityMiddleware: production's WhiteNoise comes right after these two, so
    # static files carry the same security headers as pages.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "smsoffice.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which is the first to read a form: a too large one gets a clear page.
    "smsoffice.middleware.FormTooLargeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: switches language and time zone to the user's own.
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last of the request guards: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "smsoffice.urls"
WSGI_APPLICATION = "smsoffice.wsgi.application"

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
                "credits.context_processors.low_credit",
                "messaging.context_processors.unread_replies",
            ],
        },
    },
]

# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
# SQLite by default so that `make run` needs no server; PostgreSQL in CI and production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker write to the same file: take the write lock at BEGIN and wait
    # for it, instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
# A web server process keeps its PostgreSQL connections in a pool (psycopg_pool, Django's
# "pool" option) of at most DATABASE_POOL_SIZE: a request borrows one and gives it back,
# instead of opening a session (a fork on the server, the authentication: several ms,
# more than the query of a webhook) and closing it. smsoffice/gunicorn_conf.py sets it for
# gunicorn's workers; 0 (the default: Celery, manage.py, tests) opens one per thread as before.
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
if DATABASE_POOL_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DATABASE_POOL_SIZE),
        "max_size": DATABASE_POOL_SIZE,
        # All busy: a request waits this long for one, then fails (500) rather than queue forever.
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed logins are counted per user name and address (django-axes,
# https://django-axes.readthedocs.io/en/latest/4_configuration.html): after
# AXES_FAILURE_LIMIT failures that pair is locked out for AXES_COOLOFF_MINUTES;
# every failure is kept (admin: Axes › Access failures) and logged.
# Per pair, not per address: an office behind one NAT address is not locked out
# by one colleague's typos, and nobody can lock a user out from elsewhere.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_MINUTES = env.int("AXES_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the audit: who, from where, when, which user name
# The log line names the address, not the user name typed: people type passwords there.
AXES_SENSITIVE_PARAMETERS = ["username"]
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout.lockout_response"
# The address is REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the entry they
# appended to X-Forwarded-For (accounts/client_address.py). Without it, behind a proxy
# every user shares the proxy's address and the lockout becomes per user name: anyone
# could lock a user out. Set it to the number of proxies exactly: one too many lets a
# client choose its address (X-Forwarded-For is otherwise ignored: clients forge it).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_address"
# Password reset emails (accounts/password_reset.py): at most this many requests an hour
# from one address (whatever they ask for) and emails an hour to one account (from
# wherever): nobody floods a mailbox or mails every account. The page answers the same.
PASSWORD_RESET_MAX_PER_ADDRESS = env.int("PASSWORD_RESET_MAX_PER_ADDRESS", default=10)
PASSWORD_RESET_MAX_PER_ACCOUNT = env.int("PASSWORD_RESET_MAX_PER_ACCOUNT", default=3)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Form fields drawn by templates/forms/field.html: checkboxes inside their label, errors after
# their field (tied by aria-describedby).
FORM_RENDERER = "smsoffice.forms.FormRenderer"
# Day-first, 24-hour dates in every language (smsoffice/formats/).
FORMAT_MODULE_PATH = ["smsoffice.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="SMS Office <noreply@localhost>")

REDIS_URL = env("REDIS_URL", default="")


def redis_cache(location: str) -> dict:
    """The cache on Redis at `location`, with socket timeouts.

    A Redis that is unreachable rather than stopped (a dropped route, a paused VM) would
    otherwise hold each request for the operating system's timeouts (minutes); every
    caller treats a cache error as "cache away" (core.cache.CACHE_ERRORS) and goes on.
    """
    timeout = env.float("CACHE_SOCKET_TIMEOUT", default=1.0)
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Redis when configured; otherwise kombu's SQLAlchemy transport on a SQLite file,
# an embedded broker that needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_RESULT_BACKEND = env(
    "CELERY_RESULT_BACKEND", default=REDIS_URL or f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
)
# The queue tasks go to when nothing routes them elsewhere; workers consume it (`-Q`).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
# Tasks take ids and do short database work: a hard cap stops a stuck task for good.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
# A task is acknowledged after it ran, so a worker killed mid-task does not lose it;
# the services make a repeated task harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through LOGGING (request ids, JSON lines), not a format of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Apps' tasks.py are autodiscovered; project-wide tasks are listed here.
CELERY_IMPORTS = ["smsoffice.tasks"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic ticks are added here by the features that need them (reminders, retries,
# the outbox sweep, the monthly credit rollover).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Monthly credit periods start at the user's local midnight: look every 5 minutes.
    "credits-rollover": {"task": "credits.rollover_due_accounts", "schedule": 300.0},
    # Scheduled sends, retries, lost tasks and stale claims (messaging.services.sweep.messaging_sweep).
    "messaging-sweep": {"task": "messaging.sweep", "schedule": 15.0},
    # `unknown` recipients asked about at their provider (messaging.services.reconciling).
    "messaging-reconcile": {"task": "messaging.reconcile", "schedule": 60.0},
    # The same for the Messages tool's email and fax copies (broadcasts.services.deliveries_sweep).
    "broadcasts-sweep": {"task": "broadcasts.sweep", "schedule": 15.0},
    # Due calendar reminders and agenda digests (reminders.services: calendars.reminders_tick, agenda.agenda_tick).
    "reminders-tick": {"task": "reminders.tick", "schedule": 15.0},
    # Mailboxes due for a poll, and quiet-hours summaries (mailalerts.services.polling.mailalerts_tick).
    "mailalerts-tick": {"task": "mailalerts.tick", "schedule": 15.0},
}

# Phone numbers typed without a country code are read with the user's default
# country; this is the default for new users.
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="BE")

# Largest contacts file accepted for import (vCard or CSV).
CONTACT_IMPORT_MAX_BYTES = env.int("CONTACT_IMPORT_MAX_BYTES", default=512 * 1024)
# Contacts in one import file. An import runs inside the request, so both limits keep
# it to a few seconds (bench/contacts_import.py, PostgreSQL, 2 shared cores): 5,000
# CSV contacts 1.0 s, 512 KB of rich vCards (~2,300) 0.7 s, the worst 512 KB file (ten
# numbers on every row) 2.5 s, 4.4 s with the cores busy. Bigger files are refused unread.
CONTACT_IMPORT_MAX_ROWS = env.int("CONTACT_IMPORT_MAX_ROWS", default=5000)
# Contacts a user's private book, and a group's shared book, may hold (imports refuse
# to pass it). Pages stay fast at 10,000 (bench/contacts_search.py).
CONTACTS_MAX_PER_USER = env.int("CONTACTS_MAX_PER_USER", default=10_000)
CONTACTS_MAX_PER_GROUP_BOOK = env.int("CONTACTS_MAX_PER_GROUP_BOOK", default=10_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Every line carries the request id (smsoffice/observability.py), also in Celery
# workers for the tasks a request started. LOG_FORMAT=json: one JSON object a line.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "smsoffice.observability.RequestIdFilter"},
        # Forms with errors (a view's own 400) at INFO, beat's periodic ticks at DEBUG.
        "routine": {"()": "smsoffice.observability.RoutineLogFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {"()": "smsoffice.observability.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # fontTools (under fpdf2) logs every glyph table it subsets at INFO.
    # axes says INFO at every start and successful login; its failures and lockouts are WARNINGs.
    # twilio.http_client writes seven INFO lines (headers included) for every SMS.
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "twilio.http_client": {"level": "WARNING"},
        "django.request": {"filters": ["routine"]},
        "celery.beat": {"filters": ["routine"]},
        "celery.app.trace": {"filters": ["routine"]},
        "celery.worker.strategy": {"filters": ["routine"]},
    },
}

# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when this is set;
# production requires it.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# django-prometheus would read the migration state at every start; CI checks migrations.
PROMETHEUS_EXPORT_MIGRATIONS = False

# Content-Security-Policy on every response: scripts, styles and fonts only from our
# own static files (no inline script or style, no eval), nothing framed, forms post
# only to us. The favicon is a data: URL.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# New users' time zone until they choose theirs in Personal data.
DEFAULT_USER_TIME_ZONE = env("DEFAULT_USER_TIME_ZONE", default="Europe/Brussels")

# Credit: how purchases are paid (credits/payments.py) and the largest single grant.
PAYMENT_ADAPTER = env("PAYMENT_ADAPTER", default="credits.payments.ManualPaymentAdapter")
CREDIT_MAX_GRANT = env.int("CREDIT_MAX_GRANT", default=1_000_000)

# REST API: https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON bodies only: one documented format, and no form parser limits (HTML 400s) to meet.
    # SafeJSONParser: a lone surrogate or deep nesting is a 400, not a 500 (smsoffice/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["smsoffice.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "smsoffice.api_errors.exception_handler",
    # Per-user rate limit, counted in the cache (Redis when REDIS_URL is set); while the
    # cache is down it is counted per process, so that the API still accepts sends.
    "DEFAULT_THROTTLE_CLASSES": ["smsoffice.throttling.UserRateThrottleFailOpen"],
    "DEFAULT_THROTTLE_RATES": {"user": env("API_RATE_LIMIT", default="120/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SMS Office API",
    "DESCRIPTION": "Send SMS and read credit. Authenticate with `Authorization: Token <key>` (Settings → API).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "smsoffice.api_errors.add_error_responses",
    ],
}

# SMS gateways, chosen like Django's email backends (messaging/gateways/).
# SMS_GATEWAY picks the default: console (prints; the embedded default), twilio, locmem (tests).
SMS_GATEWAY = env("SMS_GATEWAY", default="console")
_GATEWAY_BACKENDS = {
    "console": ("messaging.gateways.console.ConsoleGateway", {"DELIVERY_DELAY": 2}),
    "locmem": ("messaging.gateways.locmem.LocmemGateway", {}),
    "twilio": (
        "messaging.gateways.twilio.TwilioGateway",
        {
            "ACCOUNT_SID": env("TWILIO_ACCOUNT_SID", default=""),
            "AUTH_TOKEN": env("TWILIO_AUTH_TOKEN", default=""),
            "FROM": env("TWILIO_FROM", default=""),
            "STATUS_CALLBACK_URL": env("TWILIO_STATUS_CALLBACK_URL", default=""),
            # The public URL of /webhooks/sms/<alias>/incoming/, as set on the number in Twilio.
            "INCOMING_URL": env("TWILIO_INCOMING_URL", default=""),
            "BASE_URL": env("TWILIO_BASE_URL", default="https://api.twilio.com"),
            "TIMEOUT": env.float("TWILIO_TIMEOUT", default=10.0),
            # Flow control (messaging/gateways/flow.py): messages a second for all workers
            # together (0: none), requests one worker keeps in flight, the circuit breaker.
            "RATE": env.float("TWILIO_RATE", default=100.0),
            "BURST": env.int("TWILIO_BURST", default=0),  # 0: a tenth of RATE
            "MAX_IN_FLIGHT": env.int("TWILIO_MAX_IN_FLIGHT", default=100),
            "BREAKER_FAILURES": env.int("TWILIO_BREAKER_FAILURES", default=5),
            "BREAKER_COOLDOWN": env.float("TWILIO_BREAKER_COOLDOWN", default=30.0),
        },
    ),
}
SMS_GATEWAYS = {"default": {"BACKEND": _GATEWAY_BACKENDS[SMS_GATEWAY][0], "OPTIONS": _GATEWAY_BACKENDS[SMS_GATEWAY][1]}}
# Recipients claimed, handed to the gateway and recorded together (one send_many call, one
# transaction); a dispatch task takes SMS_TASK_CHUNKS of them and keeps the next chunk's
# requests in flight while it records the chunk before (messaging.services.outbox.dispatch).
SMS_CHUNK_SIZE = env.int("SMS_CHUNK_SIZE", default=200)
SMS_TASK_CHUNKS = env.int("SMS_TASK_CHUNKS", default=5)
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=5)  # transient errors, then failed
SMS_CLAIM_TIMEOUT = env.int("SMS_CLAIM_TIMEOUT", default=600)  # seconds before a claimed row is `unknown`
SMS_OUTBOX_GRACE = env.int("SMS_OUTBOX_GRACE", default=60)  # seconds before a queued row's task counts as lost
SMS_SWEEP_BATCH = env.int("SMS_SWEEP_BATCH", default=5000)
# Reconciliation (messaging.services.reconciling): `unknown` recipients claimed longer
# ago than SMS_RECONCILE_AFTER seconds are looked up at the provider; one it still has
# not found SMS_RECONCILE_DEADLINE seconds after the claim failed and its credit released.
SMS_RECONCILE_AFTER = env.int("SMS_RECONCILE_AFTER", default=300)
SMS_RECONCILE_DEADLINE = env.int("SMS_RECONCILE_DEADLINE", default=3600)
SMS_RECONCILE_BATCH = env.int("SMS_RECONCILE_BATCH", default=500)
# Abuse limits; each can be overridden per user in the admin (Sending limits).
SMS_MAX_PARTS = env.int("SMS_MAX_PARTS", default=10)
SMS_MAX_RECIPIENTS = env.int("SMS_MAX_RECIPIENTS", default=10_000)
SMS_CSV_MAX_BYTES = env.int("SMS_CSV_MAX_BYTES", default=2 * 1024 * 1024)  # a CSV of recipients (composer)
SMS_MAX_PER_DAY = env.int("SMS_MAX_PER_DAY", default=20_000)
# Replies and consent (messaging/services/incoming.py): a reply belongs to whoever sent the
# last SMS to its number within the window; STOP and START are answered once, free.
SMS_REPLY_WINDOW = env.int("SMS_REPLY_WINDOW", default=7)  # days
SMS_INCOMING_MAX_CHARS = env.int("SMS_INCOMING_MAX_CHARS", default=1600)  # Twilio's limit for a body
SMS_OPTOUT_STOP_TEXT = env(
    "SMS_OPTOUT_STOP_TEXT", default="You will no longer get SMS from this number. Reply START to get them again."
)
SMS_OPTOUT_START_TEXT = env(
    "SMS_OPTOUT_START_TEXT", default="You will get SMS from this number again. Reply STOP to stop them."
)
SMS_ALLOWED_COUNTRIES = env.list("SMS_ALLOWED_COUNTRIES", default=[])  # ISO codes; empty: every country
# Countries whose carriers refuse alphanumeric senders ("ACME"): recipients there get the SMS
# from the gateway's number instead (messaging/senders.py). Twilio and Telnyx document the
# United States and Canada: https://www.twilio.com/docs/glossary/what-alphanumeric-sender-id
SMS_ALPHANUMERIC_SENDER_REFUSED_COUNTRIES = env.list("SMS_ALPHANUMERIC_SENDER_REFUSED_COUNTRIES", default=["US", "CA"])

# The Messages tool (one message by email, SMS and fax). Email copies go through
# EMAIL_GATEWAYS (Django's email backend, EMAIL_URL); fax copies through FAX_GATEWAYS,
# whose default FAX_GATEWAY names, as SMS_GATEWAY does for SMS: console (logs; the
# embedded default), email_to_fax (the PDF mailed to FAX_EMAIL_ADDRESS, {number} =
# E.164 without "+"), locmem (tests). A copy is tried EMAIL_MAX_ATTEMPTS or
# FAX_MAX_ATTEMPTS times on transient errors; lost tasks and stale claims follow the
# outbox's SMS_OUTBOX_GRACE and SMS_CLAIM_TIMEOUT, like SMS.
FAX_GATEWAY = env("FAX_GATEWAY", default="console")
_FAX_BACKENDS = {
    "console": ("broadcasts.fax.console.ConsoleFaxGateway", {}),
    "locmem": ("messaging.gateways.locmem.LocmemGateway", {}),
    "email_to_fax": (
        "broadcasts.fax.email_to_fax.EmailToFaxGateway",
        {
            "ADDRESS": env("FAX_EMAIL_ADDRESS", default="{number}@fax.example"),
            "FROM": env("FAX_EMAIL_FROM", default=""),
        },
    ),
}
FAX_GATEWAYS = {"default": {"BACKEND": _FAX_BACKENDS[FAX_GATEWAY][0], "OPTIONS": _FAX_BACKENDS[FAX_GATEWAY][1]}}
EMAIL_GATEWAYS = {"default": {"BACKEND": "broadcasts.mail.EmailGateway", "OPTIONS": {}}}
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=5)  # transient errors (4xx, connection), then failed
FAX_MAX_ATTEMPTS = env.int("FAX_MAX_ATTEMPTS", default=5)
# Fonts for what DejaVu Sans (vendored) cannot print, e.g. Chinese (Debian: fonts-droid-fallback).
FAX_FALLBACK_FONTS = env.list(
    "FAX_FALLBACK_FONTS", default=["/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"]
)
MESSAGES_MAX_TEXT = env.int("MESSAGES_MAX_TEXT", default=20_000)  # characters of a Messages tool text
# Email and fax copies cost the user no credit: these limits (per user, rolling 24 hours,
# overridable in the admin's Sending limits) and the rate limit (Messages tool sends per
# minute) are what stop one account from flooding mail servers and fax lines.
MESSAGES_MAX_EMAILS_PER_DAY = env.int("MESSAGES_MAX_EMAILS_PER_DAY", default=500)
MESSAGES_MAX_FAXES_PER_DAY = env.int("MESSAGES_MAX_FAXES_PER_DAY", default=50)
MESSAGES_MAX_PER_MINUTE = env.int("MESSAGES_MAX_PER_MINUTE", default=5)

# Mail alerts: watched IMAP mailboxes. Passwords are encrypted with the first of
# MAILBOX_PASSWORD_KEYS (Fernet keys: `python -c "from cryptography.fernet import
# Fernet; print(Fernet.generate_key().decode())"`); older keys still decrypt, so a key
# can be rotated by putting the new one first. Production requires it.
MAILBOX_PASSWORD_KEYS = env.list("MAILBOX_PASSWORD_KEYS", default=[])
MAILALERTS_POLL_INTERVAL = env.int("MAILALERTS_POLL_INTERVAL", default=60)  # seconds between polls of a mailbox
MAILALERTS_TIMEOUT = env.int("MAILALERTS_TIMEOUT", default=10)  # seconds for each IMAP connect and command
MAILALERTS_MAX_BACKOFF = env.int("MAILALERTS_MAX_BACKOFF", default=3600)  # longest wait after failures
MAILALERTS_FAILURES_NOTICE = env.int("MAILALERTS_FAILURES_NOTICE", default=3)  # failed polls before an email
MAILALERTS_MAX_PER_POLL = env.int("MAILALERTS_MAX_PER_POLL", default=200)  # newest mails read per poll
# Extra CA certificates to trust (PEM file), for a company's own IMAP server; empty: the system's.
MAILALERTS_CA_FILE = env("MAILALERTS_CA_FILE", default="")
# Allow IMAP without TLS (the password crosses the network in clear): for a server on this host only.
MAILALERTS_ALLOW_PLAIN = env.bool("MAILALERTS_ALLOW_PLAIN", default=False)
# Allow servers at private, loopback or link-local addresses. Off in production: a
# mailbox form must not let users probe the hosts around ours and read their banners.
MAILALERTS_ALLOW_PRIVATE_HOSTS = env.bool("MAILALERTS_ALLOW_PRIVATE_HOSTS", default=False)

# Reminders found later than this (seconds) are marked missed, not sent hours late.
REMINDER_GRACE = env.int("REMINDER_GRACE", default=900)
# An .ics import runs in the request: these caps keep the largest accepted one near 3 s
# (measured: ~550 plain events/s, ~3 us a step of rule expansion; docs/architecture.md).
CALENDAR_IMPORT_MAX_BYTES = env.int("CALENDAR_IMPORT_MAX_BYTES", default=1024 * 1024)
CALENDAR_IMPORT_MAX_EVENTS = env.int("CALENDAR_IMPORT_MAX_EVENTS", default=1000)
# Steps of rule expansion (a period of a rule) that one import's events may take together.
CALENDAR_IMPORT_MAX_STEPS = env.int("CALENDAR_IMPORT_MAX_STEPS", default=300_000)
