"""Delivery reports: what the SMS centre says after it accepted an SMS, forward only."""

import logging
from collections.abc import Iterable

from django.db import transaction

from credits.models import Hold
from credits.services import (
    credits_settle,
)

from ..gateways.base import StatusUpdate
from ..models import RANK, Recipient, RecipientStatus

logger = logging.getLogger("smsoffice.sms")


def status_updates_apply(*, updates: Iterable[StatusUpdate]) -> int:
    """Apply delivery reports, forward only: a repeated or late report changes nothing.

    A report about an `unknown` recipient tells us the SMS centre had accepted it:
    its credit is captured then. Returns how many recipients changed.
    """
    changed = 0
    for update in updates:
        with transaction.atomic():
            recipient = (
                Recipient.objects.select_for_update()
                .select_related("message")
                .filter(provider_id=update.provider_id)
                .first()
            )
            if recipient is None or RANK[update.status] <= RANK[recipient.status]:
                continue
            if recipient.status in (RecipientStatus.SUBMITTING, RecipientStatus.UNKNOWN):
                hold = Hold.objects.get(reference=recipient.message.hold_reference)
                credits_settle(
                    hold=hold,
                    capture=recipient.parts,
                    release=0,
                    reference=f"{recipient.credit_reference}:reconciled",
                )
            recipient.status = update.status
            if update.code or update.reason:
                recipient.error_code, recipient.error_reason = update.code[:32], update.reason[:300]
            recipient.save(update_fields=["status", "error_code", "error_reason", "updated_at"])
            changed += 1
    return changed
