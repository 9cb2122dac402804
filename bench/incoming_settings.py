"""Production settings for the gunicorn of bench/incoming_sms.py, with the baselines' URLs."""

from smsoffice.settings.production import *  # noqa: F403

ROOT_URLCONF = "incoming_urls"
