"""The Celery application: workers and beat load their settings from Django's."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsoffice.settings.local")

app = Celery("smsoffice")
# Every CELERY_* Django setting configures Celery (see settings/base.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Connects the signals that carry a web request's id into the tasks it starts.
from . import observability  # noqa: E402, F401
