"""Tests: the real database given by DATABASE_URL (PostgreSQL in CI), fast hashing, locmem email."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

SECRET_KEY = "test-only-key"  # noqa: S105 - tests only
MAILBOX_PASSWORD_KEYS = ["dGVzdC1vbmx5LW1haWxib3gta2V5LTMyLWJ5dGVzISE="]  # tests only (32 bytes)
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# locmem email and fax unless the environment says otherwise (the Messages tool's
# end-to-end test points a worker process at an SMTP server on loopback).
if not env("EMAIL_URL", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if not env("FAX_GATEWAY", default=""):
    FAX_GATEWAYS = {"default": {"BACKEND": "messaging.gateways.locmem.LocmemGateway", "OPTIONS": {}}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks run in-process unless a test starts a real worker (tests/workers.py): a worker
# publishes what it enqueues itself (a large send's chunks) to the broker, as in production,
# so that every worker takes its share (CELERY_TASK_ALWAYS_EAGER=false in its environment).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
PAYMENT_ADAPTER = "credits.payments.TestPaymentAdapter"

VAR_DIR.mkdir(exist_ok=True)
# The locmem gateway, unless SMS_GATEWAY says otherwise (worker processes started by
# the end-to-end tests talk to a fake Twilio server instead).
if not env("SMS_GATEWAY", default=""):
    SMS_GATEWAYS = {"default": {"BACKEND": "messaging.gateways.locmem.LocmemGateway", "OPTIONS": {}}}
# The tests' Dovecot listens on 127.0.0.1 without TLS for some cases.
MAILALERTS_ALLOW_PRIVATE_HOSTS = True
MAILALERTS_ALLOW_PLAIN = True
