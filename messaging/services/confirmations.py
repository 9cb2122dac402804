"""The answers to STOP and START: one SMS each, paid by no user.

They are not Messages (a Message is a user's send, paid by a credit hold): each is a
Confirmation row in its own outbox, handed over by the same engine as recipients
(outbox.py): claimed and committed before the gateway is called, so at most once; a
worker that dies leaves it `unknown`; the sweep re-enqueues lost tasks and retries.

    enqueue_confirmations()     hand ids to the workers, after commit
    confirmations_dispatch()    claim, send, record                  (a worker)
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..gateways import get_gateway
from ..gateways.base import OutgoingSMS
from ..models import Confirmation, RecipientStatus
from . import outbox

CONFIRMATIONS = outbox.Outbox(
    name="STOP/START confirmation",
    model=Confirmation,
    queued=RecipientStatus.QUEUED,
    claimed=RecipientStatus.SUBMITTING,
    accepted=RecipientStatus.ACCEPTED,
    failed=RecipientStatus.FAILED,
    unknown=RecipientStatus.UNKNOWN,
    task="messaging.tasks.dispatch_confirmations",
    chunk_size=lambda: settings.SMS_CHUNK_SIZE,
    max_attempts=lambda row: settings.SMS_MAX_ATTEMPTS,
    backoff_first=30,
    backoff_cap=900,
    lost_reason=gettext_lazy("The worker stopped while sending: check with the provider before sending again."),
    result_fields=("provider_id",),
)


def enqueue_confirmations(ids: Sequence[int]) -> None:
    outbox.enqueue(CONFIRMATIONS, ids)


def confirmations_dispatch(*, ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Claim the queued confirmations among `ids`, send them, record the results, a chunk at
    a time (outbox.dispatch). Returns how many were claimed."""
    return outbox.dispatch(CONFIRMATIONS, ids, now=now, start=_start_sends, finish=_finish_sends)


def _start_sends(claim: str) -> list[tuple[list[Confirmation], Future]]:
    by_gateway: dict[str, list[Confirmation]] = defaultdict(list)
    for row in Confirmation.objects.filter(claim=claim):
        by_gateway[row.gateway].append(row)
    sends = []
    for alias, group in by_gateway.items():
        # OutgoingSMS.recipient_id names the row to the gateway (locmem uses it for its fake ids).
        outgoing = [OutgoingSMS(recipient_id=row.pk, to=row.to, text=row.text) for row in group]
        sends.append((group, outbox.provider_results_started(get_gateway(alias), outgoing, reason_max=300)))
    return sends


def _finish_sends(claim: str, sends: list[tuple[list[Confirmation], Future]]) -> None:
    for group, started in sends:
        results = started.result()
        with transaction.atomic():
            outbox.record(CONFIRMATIONS, claim, zip(group, results, strict=True), now=timezone.now())
