"""The outbox engine: every row that waits to be handed to a provider goes through here,
SMS recipients (dispatching.py) and the Messages tool's email and fax copies alike.

    dispatch()          claim, send and record some ids chunk by chunk, the next chunk's
                        provider calls in flight while the chunk before is recorded
    claim()             the due rows among some ids, claimed (SKIP LOCKED) and committed
                        before anything is handed over: at most once
    provider_results()  call a provider for a claimed chunk through its flow control
                        (rate, requests in flight, Retry-After, circuit breaker:
                        gateways/flow.py); its errors mapped to results
    record()            write each result: accepted, failed, retried later with a backoff
                        (in the database, never a long Celery countdown), or unknown
    enqueue()           hand ids to the workers in chunks, after commit; a broker that is
                        down loses nothing: the sweep finds the rows again
    take_due()          for the sweep: due rows whose task never ran or was lost
    expire_stale()      for the sweep: claims whose worker died become `unknown`, never
                        resent blindly

Rows wait `queued` with `next_attempt_at`; each kind of row says its states, task and
limits in an `Outbox` (its model has `status`, `claim`, `claimed_at`, `attempts`,
`next_attempt_at`, `enqueued_at`, `error_code`, `error_reason`, `updated_at`).
"""

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from core.db import bulk_update

from ..gateways.base import BaseGateway, GatewayPermanentError, GatewayTransientError, Outcome, SendResult

logger = logging.getLogger("smsoffice.outbox")
S = TypeVar("S")  # what a dispatch's `start` hands to its `finish`


def task_budget() -> float:
    """Seconds a dispatch keeps claiming new chunks: a third of the task's soft time limit."""
    return settings.CELERY_TASK_SOFT_TIME_LIMIT / 3


@dataclass(frozen=True)
class Outbox:
    """One kind of outbox row and how the engine treats it."""

    name: str  # for the logs: "SMS", "Messages tool copy"
    model: type[models.Model]
    queued: str
    claimed: str
    accepted: str
    failed: str
    unknown: str
    task: str  # dotted path of the Celery task that takes a list of ids
    chunk_size: Callable[[], int]  # rows claimed, sent and recorded together (a setting, read when used)
    max_attempts: Callable[[models.Model], int]  # tries of a row before a transient error fails it
    backoff_first: int  # seconds before the first retry; doubles with each attempt
    backoff_cap: int  # seconds: the longest wait
    lost_reason: Promise  # what a row whose worker died says
    result_fields: tuple[str, ...]  # what record() writes, besides the engine's own
    chunks_per_task: Callable[[], int] = lambda: 1  # chunks a task dispatches one after the other

    def task_size(self) -> int:
        """Ids a task takes."""
        return self.chunk_size() * max(1, self.chunks_per_task())

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait before the next try, after `attempts` tries."""
        return dt.timedelta(seconds=min(self.backoff_first * 2 ** max(attempts - 1, 0), self.backoff_cap))


ENGINE_FIELDS = (
    "status",
    "error_code",
    "error_reason",
    "claim",
    "enqueued_at",
    "next_attempt_at",
    "attempts",
    "updated_at",
)


def claim(outbox: Outbox, ids: Sequence[int], *, now: dt.datetime) -> tuple[str, list[int]]:
    """Claim the rows among `ids` that are queued, due and held by no concurrent claim
    (SKIP LOCKED): claimed state, a new claim token, `claimed_at`, one more attempt;
    committed before returning.

    From then on these rows are never sent again automatically. Returns the token and
    the ids claimed (none: a repeated task, or another worker has them).
    """
    token = uuid.uuid4().hex
    with transaction.atomic():
        claimed = list(
            outbox.model.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=outbox.queued, next_attempt_at__lte=now)
            .values_list("pk", flat=True)
        )
        outbox.model.objects.filter(pk__in=claimed).update(
            status=outbox.claimed, claim=token, claimed_at=now, attempts=F("attempts") + 1
        )
    return token, claimed


def dispatch(
    outbox: Outbox,
    ids: Sequence[int],
    *,
    now: dt.datetime | None,
    start: Callable[[str], S],
    finish: Callable[[str, S], None],
) -> int:
    """Claim, send and record the rows among `ids`, a chunk (`chunk_size`) at a time, with
    the provider calls of one chunk overlapping the recording of the chunk before.

    For each chunk: claim() and commit; `start(token)` reads the claimed rows and starts
    the provider calls (provider_results_started), returning what `finish` needs; then
    the chunk before is finished: `finish(token, sending)` waits for its results and
    records them (record(), with the caller's bookkeeping) in its own transaction. So the
    requests of chunk k+1 are in flight while chunk k is written, and the provider never
    waits for our database at a chunk boundary, yet every claim is committed before its
    chunk's first call, chunks are recorded in order, and when this returns every chunk
    it claimed is recorded. A failure while recording still finishes the chunk already
    started (its calls are under way), then is raised. Returns how many rows were claimed.
    """
    size, started = outbox.chunk_size(), time.monotonic()
    claimed, pending = 0, None
    try:
        for first in range(0, len(ids), size):
            if first and time.monotonic() - started > task_budget():
                # A slow provider or a low RATE: the rest goes back to the queue as a new
                # task rather than running into the task's time limit.
                enqueue(outbox, ids[first:])
                break
            token, rows = claim(outbox, ids[first : first + size], now=now or timezone.now())
            # Committed: from here on these rows are never sent again automatically.
            if not rows:
                continue
            claimed += len(rows)
            previous, pending = pending, (token, start(token))
            if previous is not None:
                finish(*previous)
    finally:
        if pending is not None:
            finish(*pending)
    return claimed


def provider_results_started(gateway: BaseGateway, items: list, *, reason_max: int) -> Future:
    """provider_results(), started: a gateway that takes one item a request (Twilio)
    sends on the process's event loop while the caller goes on; a batch gateway is
    called now. The future gives the results."""
    send_one = getattr(gateway, "send_one_async", None)
    if items and send_one is not None:
        return gateway.flow.send_each_started(send_one, items)
    done: Future = Future()
    done.set_result(provider_results(gateway, items, reason_max=reason_max))
    return done


def provider_results(gateway: BaseGateway, items: list, *, reason_max: int) -> list[SendResult]:
    """Hand `items` to `gateway` through its flow control: one SendResult per item, in
    order, whatever it raises.

    The gateway's `Flow` (gateways/flow.py) decides how fast and how many at once, and
    holds items back while the gateway is paused (Retry-After) or its circuit is open. A
    chunk-level transient error retries every item later; a permanent one fails them; an
    answer that does not match the chunk makes every item `unknown` (never guess which
    went out).
    """
    if not items:
        return []
    send_one = getattr(gateway, "send_one_async", None)
    if send_one is not None:
        return gateway.flow.send_each(send_one, items)
    return gateway.flow.send_batches(lambda part: _batch_results(gateway, part, reason_max), items)


def _batch_results(gateway: BaseGateway, items: list, reason_max: int) -> list[SendResult]:
    """One send_many call; its chunk-level errors become every item's result."""
    try:
        results = gateway.send_many(items)
    except GatewayTransientError as error:
        return [SendResult(Outcome.RETRY, code="gateway", reason=str(error)[:reason_max])] * len(items)
    except GatewayPermanentError as error:
        return [SendResult(Outcome.FAILED, code="gateway", reason=str(error)[:reason_max])] * len(items)
    if len(results) != len(items):
        logger.error("gateway %s answered %s results for %s items", gateway.alias, len(results), len(items))
        return [SendResult(Outcome.UNKNOWN, reason="the gateway's answer did not match the chunk")] * len(items)
    return results


def record(
    outbox: Outbox, token: str, results: Iterable[tuple[models.Model, SendResult]], *, now: dt.datetime
) -> list[tuple[models.Model, SendResult]]:
    """Write each claimed row's result in the caller's transaction; returns the rows it
    changed (locked, as now stored) with their results, for the caller's own bookkeeping
    (credit, metrics). A row no longer claimed by `token` is left alone."""
    results = list(results)
    current = {
        row.pk: row
        for row in outbox.model.objects.select_for_update().filter(
            claim=token, status__in=[outbox.claimed, outbox.unknown]
        )
    }
    reason_max = outbox.model._meta.get_field("error_reason").max_length
    keeps_provider_id = "provider_id" in outbox.result_fields
    applied = []
    for sent, result in results:
        row = current.get(sent.pk)
        if row is None:
            continue
        row.error_code, row.error_reason = result.code[:32], result.reason[:reason_max]
        if result.outcome == Outcome.ACCEPTED:
            row.status = outbox.accepted
            if keeps_provider_id:
                row.provider_id = result.provider_id[:64]
        elif result.outcome == Outcome.RETRY and not result.handed_over:
            # Held back by the flow control (paused, circuit open, no token): not a try.
            row.status, row.claim, row.enqueued_at = outbox.queued, "", None
            row.attempts = max(row.attempts - 1, 0)
            row.next_attempt_at = now + dt.timedelta(seconds=result.retry_after)
        elif result.outcome == Outcome.RETRY and row.attempts < outbox.max_attempts(row):
            row.status, row.claim, row.enqueued_at = outbox.queued, "", None
            # At least what the provider asked for (Retry-After), at least our backoff.
            row.next_attempt_at = now + max(outbox.backoff(row.attempts), dt.timedelta(seconds=result.retry_after))
        elif result.outcome == Outcome.UNKNOWN:
            row.status = outbox.unknown
        else:
            row.status = outbox.failed
        row.updated_at = timezone.now()  # bulk updates skip auto_now
        applied.append((row, result))
    bulk_update([row for row, _result in applied], [*ENGINE_FIELDS, *outbox.result_fields])
    return applied


def enqueue(outbox: Outbox, ids: Sequence[int]) -> None:
    """Hand tasks of ids to the workers. A broker failure loses nothing: the sweep retries."""
    size = outbox.task_size()
    task = import_string(outbox.task)
    try:
        for start in range(0, len(ids), size):
            task.delay(list(ids[start : start + size]))
    except Exception:  # the broker is down: the sweep re-enqueues these rows
        logger.warning("could not enqueue %s %s rows; the sweep will", len(ids), outbox.name, exc_info=True)


def take_due(outbox: Outbox, *, now: dt.datetime, fields: tuple[str, ...] = ("pk",)) -> list[tuple]:
    """Due queued rows with no recent task (never enqueued, or longer ago than
    SMS_OUTBOX_GRACE), marked enqueued now in the caller's transaction; returns their
    `fields`, oldest due first, at most SMS_SWEEP_BATCH."""
    lost = now - dt.timedelta(seconds=settings.SMS_OUTBOX_GRACE)
    rows = list(
        outbox.model.objects.select_for_update(skip_locked=True)
        .filter(status=outbox.queued, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost))
        .order_by("next_attempt_at")
        .values_list("pk", *[name for name in fields if name != "pk"])[: settings.SMS_SWEEP_BATCH]
    )
    outbox.model.objects.filter(pk__in=[row[0] for row in rows]).update(enqueued_at=now)
    return rows


def enqueue_due(outbox: Outbox, *, now: dt.datetime) -> int:
    """The sweep's step for rows waiting in `outbox`: found, marked, enqueued after commit."""
    with transaction.atomic():
        due = [pk for (pk,) in take_due(outbox, now=now)]
        transaction.on_commit(lambda: enqueue(outbox, due))
    return len(due)


def expire_stale(outbox: Outbox, *, now: dt.datetime) -> int:
    """Rows claimed longer ago than SMS_CLAIM_TIMEOUT: their worker died after claiming
    them, perhaps after handing them over. `unknown`, never resent blindly."""
    cutoff = now - dt.timedelta(seconds=settings.SMS_CLAIM_TIMEOUT)
    return outbox.model.objects.filter(status=outbox.claimed, claimed_at__lt=cutoff).update(
        status=outbox.unknown, error_reason=str(outbox.lost_reason)
    )
