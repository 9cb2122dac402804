"""The opt-out list: numbers that get no SMS from one gateway's number.

    optout_add() / optout_remove()   a change, recorded (who and why) in OptOutChange
    optout_from_keyword()            a STOP or START SMS applied; a change is answered by one
                                     confirmation SMS (confirmations.py), free and at most once

Every send path reads the list through planning (messaging.inbox.opted_out): the number is
skipped with the reason "opted out" and no credit is held for it.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction

from accounts.models import User

from ..models import Confirmation, IncomingSMS, OptOut, OptOutChange
from .confirmations import enqueue_confirmations


def optout_add(
    *,
    gateway: str,
    number: str,
    reason: str,
    actor: User | None,
    now: dt.datetime,
    incoming: IncomingSMS | None = None,
) -> bool:
    """Put `number` (E.164) on `gateway`'s list. Returns False when it was already there (nothing recorded)."""
    with transaction.atomic():
        _, created = OptOut.objects.get_or_create(
            gateway=gateway, number=number, defaults={"reason": reason[:200], "created_at": now}
        )
        if created:
            OptOutChange.objects.create(
                gateway=gateway,
                number=number,
                action=OptOutChange.Action.ADDED,
                actor=actor,
                incoming=incoming,
                reason=reason[:200],
                at=now,
            )
    return created


def optout_remove(
    *,
    gateway: str,
    number: str,
    reason: str,
    actor: User | None,
    now: dt.datetime,
    incoming: IncomingSMS | None = None,
) -> bool:
    """Take `number` off `gateway`'s list. Returns False when it was not there (nothing recorded)."""
    with transaction.atomic():
        deleted, _ = OptOut.objects.filter(gateway=gateway, number=number).delete()
        if deleted:
            OptOutChange.objects.create(
                gateway=gateway,
                number=number,
                action=OptOutChange.Action.REMOVED,
                actor=actor,
                incoming=incoming,
                reason=reason[:200],
                at=now,
            )
    return bool(deleted)


def optout_from_keyword(*, incoming: IncomingSMS, now: dt.datetime) -> bool:
    """Apply a STOP or START SMS (in the caller's transaction). A change is confirmed by one SMS."""
    stop = incoming.kind == IncomingSMS.Kind.STOP
    change = optout_add if stop else optout_remove
    reason = f"{incoming.text.strip()[:40]} (SMS)"
    changed = change(
        gateway=incoming.gateway, number=incoming.from_number, reason=reason, actor=None, now=now, incoming=incoming
    )
    if changed:
        confirmation = Confirmation.objects.create(
            incoming=incoming,
            gateway=incoming.gateway,
            to=incoming.from_number,
            text=settings.SMS_OPTOUT_STOP_TEXT if stop else settings.SMS_OPTOUT_START_TEXT,
            next_attempt_at=now,
            enqueued_at=now,
        )
        transaction.on_commit(lambda: enqueue_confirmations([confirmation.pk]))
    return changed
