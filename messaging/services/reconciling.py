"""Reconciliation: asking the provider what became of SMS whose outcome is `unknown`.

    recipients_reconcile()  beat, every minute: `unknown` recipients claimed longer ago
                            than SMS_RECONCILE_AFTER, a batch at a time, looked up at their
                            gateway (Twilio: the message by its SID, else the messages to
                            that number since the claim), then, per message, one transaction:
                              found      -> accepted (its credit captured); a later
                                            delivery report still applies
                              not found, SMS_RECONCILE_DEADLINE after the claim
                                         -> failed (its credit released)
                              no answer, or not found before the deadline -> left alone
                            each decision in the recipient's history with its reason.

The provider is asked outside any transaction; the decision is written under a lock on
the row and only while it is still `unknown`, so a delivery report that came in the
meantime wins and a credit is captured or released exactly once (credits_settle_many
skips a reference it settled already).
"""

import datetime as dt
import logging
import uuid
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credits.models import Hold
from credits.services import credits_settle_many

from ..gateways import get_gateway
from ..gateways.base import Lookup, StatusUpdate, Unsettled
from ..models import RANK, Recipient, RecipientEvent, RecipientStatus
from .reports import status_updates_apply

logger = logging.getLogger("smsoffice.sms")
SOURCE = "reconciliation"


def recipients_reconcile(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Ask the providers about due `unknown` recipients and settle those they answer for.

    Returns how many were asked, found (accepted), given up (failed) and left unknown.
    """
    now = now or timezone.now()
    due = list(
        Recipient.objects.filter(
            status=RecipientStatus.UNKNOWN,
            claimed_at__lt=now - dt.timedelta(seconds=settings.SMS_RECONCILE_AFTER),
        )
        .select_related("message")
        .order_by("claimed_at", "id")[: settings.SMS_RECONCILE_BATCH]
    )
    counts = {"asked": len(due), "accepted": 0, "failed": 0, "unknown": 0}
    by_gateway: dict[str, list[Recipient]] = defaultdict(list)
    for row in due:
        by_gateway[row.message.gateway].append(row)
    for alias, rows in by_gateway.items():
        items = [
            Unsettled(
                recipient_id=row.pk,
                to=row.to,
                text=row.text or row.message.text,  # its own text when placeholders made one
                provider_id=row.provider_id,
                since=row.claimed_at or row.message.created_at,
                sender=row.sender,
            )
            for row in rows
        ]
        try:
            gateway = get_gateway(alias)
        except ImproperlyConfigured:  # a gateway removed from the settings: nobody to ask
            logger.warning("reconciliation: gateway %s is not configured; %s rows stay unknown", alias, len(rows))
            counts["unknown"] += len(rows)
            continue
        lookups = gateway.lookup_many(items)
        for key, value in _settle(rows, lookups, now).items():
            counts[key] += value
    if due:
        logger.info("reconciliation: %s", ", ".join(f"{key} {value}" for key, value in counts.items()))
    return counts


def _settle(rows: list[Recipient], lookups: list[Lookup], now: dt.datetime) -> dict[str, int]:
    """Decide for each row from its lookup; write the decisions and settle the credit in
    one transaction; then apply what the provider says happened since (delivered...)."""
    deadline = now - dt.timedelta(seconds=settings.SMS_RECONCILE_DEADLINE)
    counts = {"accepted": 0, "failed": 0, "unknown": 0}
    reports: list[StatusUpdate] = []
    with transaction.atomic():
        locked = {
            row.pk: row
            for row in Recipient.objects.select_for_update()
            .select_related("message")
            .filter(pk__in=[row.pk for row in rows], status=RecipientStatus.UNKNOWN)
        }
        # A provider's message belongs to one recipient only: two unknown rows to the
        # same number with the same text take one message each.
        candidates = {found.provider_id for lookup in lookups for found in lookup.found}
        taken = set(Recipient.objects.filter(provider_id__in=candidates).values_list("provider_id", flat=True))
        events, changed = [], []
        settle: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # message id -> [capture, release]
        for row, lookup in zip(rows, lookups, strict=True):
            recipient = locked.get(row.pk)
            if recipient is None:  # a delivery report settled it meanwhile
                continue
            found = next(
                (f for f in lookup.found if f.provider_id not in taken or f.provider_id == row.provider_id), None
            )
            if found is not None:
                taken.add(found.provider_id)
                recipient.status, recipient.provider_id = RecipientStatus.ACCEPTED, found.provider_id
                reason = _("The provider has this SMS (%(id)s): it was sent; its credit is spent.") % {
                    "id": found.provider_id
                }
                settle[recipient.message_id][0] += recipient.parts
                if RANK[found.status] > RANK[RecipientStatus.ACCEPTED]:
                    reports.append(StatusUpdate(found.provider_id, found.status))
                counts["accepted"] += 1
            elif not lookup.error and (recipient.claimed_at or now) < deadline:
                recipient.status = RecipientStatus.FAILED
                reason = _(
                    "The provider has no trace of this SMS %(hours)s h after it was handed over: "
                    "it was not sent; its credit is given back."
                ) % {"hours": f"{settings.SMS_RECONCILE_DEADLINE / 3600:g}"}
                settle[recipient.message_id][1] += recipient.parts
                counts["failed"] += 1
            else:
                counts["unknown"] += 1
                continue
            recipient.error_code, recipient.error_reason = "reconciled", reason[:300]
            events.append(
                RecipientEvent(
                    recipient=recipient,
                    at=now,
                    status_from=RecipientStatus.UNKNOWN,
                    status_to=recipient.status,
                    source=SOURCE,
                    reason=reason[:300],
                )
            )
            changed.append(recipient)
        for recipient in changed:
            recipient.save(update_fields=["status", "provider_id", "error_code", "error_reason", "updated_at"])
        RecipientEvent.objects.bulk_create(events)
        batch = uuid.uuid4().hex[:12]
        holds = {h.reference: h for h in Hold.objects.filter(reference__in=[f"message:{m}" for m in settle])}
        credits_settle_many(
            settlements=[
                (holds[f"message:{message_id}"], capture, release, f"reconcile:{batch}:{message_id}")
                for message_id, (capture, release) in settle.items()
            ],
            now=now,
        )
    if reports:
        status_updates_apply(updates=reports)
    return counts
