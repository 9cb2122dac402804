"""Production: every secret and host from the environment; HTTPS only.

Passes `manage.py check --deploy` with no warnings (a test keeps it so).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, MIDDLEWARE, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Encrypts the IMAP passwords of mail alerts (see base.py); no default in production.
MAILBOX_PASSWORD_KEYS = env.list("MAILBOX_PASSWORD_KEYS")
# /metrics shows traffic, error rates and queue ages: never public in production.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
if not METRICS_TOKEN:
    raise ImproperlyConfigured("Set the METRICS_TOKEN environment variable (/metrics requires it in production).")
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Gunicorn serves the collected static files itself, compressed and cached forever.
# WhiteNoise answers without calling the middleware after it: placed after the request
# id, security, X-Frame-Options and CSP middleware, static files get their headers too.
_AFTER = MIDDLEWARE.index("smsoffice.middleware.ContentSecurityPolicyMiddleware") + 1
MIDDLEWARE = [*MIDDLEWARE[:_AFTER], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[_AFTER:]]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
