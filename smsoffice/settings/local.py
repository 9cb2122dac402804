"""Development: `make run`. SQLite, the embedded broker and the console email backend by default."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A fixed key is fine for a developer's machine only; production refuses to start without one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")

VAR_DIR.mkdir(exist_ok=True)
