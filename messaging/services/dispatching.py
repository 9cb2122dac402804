"""Dispatching: queued recipients handed to their gateway, at most once.

    recipients_dispatch()   chunk by chunk (outbox.dispatch): claim (SKIP LOCKED) and
                            commit, start the provider calls, record the chunk before with
                            its credit capture/release                 [one transaction a chunk]

At most once to the gateway: a row is claimed (status `submitting`) in a committed
transaction before the gateway is called, and only a `queued` row can be claimed.
A worker that dies after claiming leaves the row `submitting`; the sweep turns it
`unknown` (credit stays held) and it is never resent automatically.
"""

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import Future

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.metrics import metrics_sms_results
from credits.models import Hold
from credits.services import credits_settle_many

from .. import models
from ..gateways import get_gateway
from ..gateways.base import OutgoingSMS, SendResult
from ..models import Recipient, RecipientStatus
from . import outbox

logger = logging.getLogger("smsoffice.sms")

RECIPIENTS = outbox.Outbox(
    name="SMS recipient",
    model=models.Recipient,
    queued=RecipientStatus.QUEUED,
    claimed=RecipientStatus.SUBMITTING,
    accepted=RecipientStatus.ACCEPTED,
    failed=RecipientStatus.FAILED,
    unknown=RecipientStatus.UNKNOWN,  # its credit stays held until reviewed
    task="messaging.tasks.dispatch_chunk",
    chunk_size=lambda: settings.SMS_CHUNK_SIZE,
    max_attempts=lambda row: settings.SMS_MAX_ATTEMPTS,
    backoff_first=30,  # 30 s, 1 min, 2 min ... at most 15 min
    backoff_cap=900,
    lost_reason=gettext_lazy("The worker stopped while sending: check with the provider before sending again."),
    result_fields=("provider_id",),
    chunks_per_task=lambda: settings.SMS_TASK_CHUNKS,
)


def enqueue_dispatch(recipient_ids: Sequence[int]) -> None:
    """Hand chunks of ids to the workers. A broker failure loses nothing: the sweep retries."""
    outbox.enqueue(RECIPIENTS, recipient_ids)


def message_fan_out(*, message_id: int) -> int:
    """Enqueue the chunks of a large send (run by a worker, so the request publishes one task)."""
    ids = list(
        Recipient.objects.filter(message_id=message_id, status=RecipientStatus.QUEUED)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    enqueue_dispatch(ids)
    return len(ids)


def recipients_dispatch(*, recipient_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Claim the still-queued rows among `recipient_ids`, send them, record the results,
    a chunk at a time, the next chunk's sends overlapping this one's recording
    (outbox.dispatch).

    Returns how many were claimed. Safe to run twice for the same ids: a row is
    claimed by one worker only.
    """
    return outbox.dispatch(RECIPIENTS, recipient_ids, now=now, start=_start_sends, finish=_finish_sends)


Sends = list[tuple[str, list[Recipient], Future]]  # gateway alias, its claimed rows, their results to come


def _start_sends(claim: str) -> Sends:
    """The claimed rows, grouped by gateway, each group's provider calls started."""
    rows = list(Recipient.objects.filter(claim=claim).select_related("message"))
    by_gateway: dict[str, list[Recipient]] = defaultdict(list)
    for row in rows:
        by_gateway[row.message.gateway].append(row)
    sends = []
    for alias, group in by_gateway.items():
        outgoing = [
            OutgoingSMS(recipient_id=row.pk, to=row.to, text=row.text or row.message.text, sender=row.sender)
            for row in group
        ]
        sends.append((alias, group, outbox.provider_results_started(get_gateway(alias), outgoing, reason_max=300)))
    return sends


def _finish_sends(claim: str, sends: Sends) -> None:
    """Each group's results, once they are all in, recorded with their credit."""
    for alias, group, started in sends:
        results = started.result()
        _record_results(alias, claim, group, results, timezone.now())
        counts = Counter(result.outcome.value for result in results)
        logger.info(
            "gateway %s answered for %s SMS of message(s) %s: %s",
            alias,
            len(group),
            ",".join(str(m) for m in sorted({row.message_id for row in group})),
            ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items())),
        )


def _record_results(alias: str, claim: str, rows: list[Recipient], results: list[SendResult], now: dt.datetime):
    """Write each result and settle the credit, per message, in one transaction."""
    with transaction.atomic():
        applied = outbox.record(RECIPIENTS, claim, zip(rows, results, strict=True), now=now)
        settle: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # message id -> [capture, release]
        for recipient, _result in applied:
            if recipient.status == RecipientStatus.ACCEPTED:
                settle[recipient.message_id][0] += recipient.parts
            elif recipient.status == RecipientStatus.FAILED:
                settle[recipient.message_id][1] += recipient.parts
        metrics_sms_results(gateway=alias, outcomes=Counter(result.outcome.value for _row, result in applied))
        holds = {h.reference: h for h in Hold.objects.filter(reference__in=[f"message:{m}" for m in settle])}
        credits_settle_many(
            settlements=[
                (holds[f"message:{message_id}"], capture, release, f"dispatch:{claim}:{message_id}")
                for message_id, (capture, release) in settle.items()
            ]
        )
