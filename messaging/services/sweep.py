"""The sweep beat runs every few seconds: scheduled sends start, lost work is found again.

messaging_sweep()       start due scheduled sends, turn stale claims into `unknown`,
                        re-enqueue due rows whose task never ran or was lost
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from ..models import Message, MessageStatus, Recipient, RecipientStatus
from . import outbox
from .confirmations import CONFIRMATIONS
from .dispatching import RECIPIENTS
from .notify import replies_notify_due

logger = logging.getLogger("smsoffice.sms")


def messaging_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """What beat runs every few seconds; each step is idempotent and safe to overlap."""
    now = now or timezone.now()
    return {
        "started": _start_due_scheduled(now),
        "unknown": outbox.expire_stale(RECIPIENTS, now=now),
        # Retries whose time came, and rows whose task was lost.
        "enqueued": outbox.enqueue_due(RECIPIENTS, now=now),
        # The free answers to STOP and START go through the same engine.
        "confirmations_unknown": outbox.expire_stale(CONFIRMATIONS, now=now),
        "confirmations_enqueued": outbox.enqueue_due(CONFIRMATIONS, now=now),
        # Users told of their new replies (email, SMS), a batch at a time.
        "replies_notified": replies_notify_due(now=now),
    }


def _start_due_scheduled(now: dt.datetime) -> int:
    started = 0
    with transaction.atomic():
        due = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.SCHEDULED, send_at__lte=now)
            .values_list("pk", flat=True)[:500]
        )
        if due:
            Message.objects.filter(pk__in=due).update(status=MessageStatus.SENDING)
            started = Recipient.objects.filter(message_id__in=due, status=RecipientStatus.QUEUED).update(
                next_attempt_at=now
            )
    return started
