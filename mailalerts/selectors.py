"""Reads for the mail alerts pages."""

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User

from .models import AlertLog, AlertStatus, Mailbox, MailFilter


def mailboxes_of(*, user: User) -> QuerySet[Mailbox]:
    return Mailbox.objects.filter(user=user).defer("password_encrypted")


def mail_filters_of(*, user: User) -> QuerySet[MailFilter]:
    return MailFilter.objects.filter(user=user)


def alert_log(*, user: User) -> QuerySet[AlertLog]:
    return AlertLog.objects.filter(user=user).select_related("mailbox")


def alerts_counted(*, user: User, now: dt.datetime) -> tuple[int, int]:
    """Alert SMS sent in the hour and the day before `now`, for the caps: each alert, and
    each quiet-hours summary (one SMS, however many emails it sums up)."""
    counts = []
    for window in (dt.timedelta(hours=1), dt.timedelta(days=1)):
        since = now - window
        alerts = AlertLog.objects.filter(user=user, status=AlertStatus.SENT, created_at__gt=since).count()
        summaries = (
            AlertLog.objects.filter(user=user, status=AlertStatus.SUMMARIZED, message__created_at__gt=since)
            .values("message_id")
            .distinct()
            .count()
        )
        counts.append(alerts + summaries)
    return counts[0], counts[1]


def check_interval() -> tuple[int, int]:
    """How often, in seconds, a mailbox is really checked: its poll interval, plus up to one
    period of the beat tick that starts the polls that are due."""
    tick = settings.CELERY_BEAT_SCHEDULE.get("mailalerts-tick", {}).get("schedule", 0)
    low = settings.MAILALERTS_POLL_INTERVAL
    return low, low + int(getattr(tick, "total_seconds", lambda: tick)())
