"""Development: `make run`. SQLite, the embedded broker and the console email backend by default."""

import base64
import hashlib

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A fixed key is fine for a developer's machine only; production refuses to start without one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
# Mailbox passwords on a developer's machine: a key derived from the secret key above.
MAILBOX_PASSWORD_KEYS = env.list(
    "MAILBOX_PASSWORD_KEYS", default=[base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]
)

VAR_DIR.mkdir(exist_ok=True)
# make run: an IMAP server on this machine or the LAN is fine.
MAILALERTS_ALLOW_PRIVATE_HOSTS = env.bool("MAILALERTS_ALLOW_PRIVATE_HOSTS", default=True)
