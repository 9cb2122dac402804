"""The outbox mechanics shared by SMS recipients and the Messages tool's email and fax
copies: rows wait `queued` with `next_attempt_at`; a worker claims them, and commits the
claim, before handing them over (at most once); the beat sweep enqueues due rows whose
task never ran or was lost (`enqueued_at` older than SMS_OUTBOX_GRACE).

Both models have `status`, `claim`, `claimed_at`, `attempts`, `next_attempt_at` and
`enqueued_at`.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet


def claim_rows(queued: QuerySet, *, status: str, now: dt.datetime) -> tuple[str, list[int]]:
    """Claim the rows of `queued` that are due and that no concurrent claim holds (SKIP
    LOCKED): `status`, a new claim token, `claimed_at`, one more attempt; committed.

    From then on these rows are never sent again automatically. Returns the token and
    the ids claimed (none: a repeated task, or another worker has them).
    """
    claim = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            queued.select_for_update(skip_locked=True).filter(next_attempt_at__lte=now).values_list("pk", flat=True)
        )
        queued.model.objects.filter(pk__in=ids).update(
            status=status, claim=claim, claimed_at=now, attempts=F("attempts") + 1
        )
    return claim, ids


def take_unenqueued(queued: QuerySet, *, now: dt.datetime, fields: tuple[str, ...] = ("pk",)) -> list[tuple]:
    """Due rows of `queued` with no recent task, marked enqueued now (in the caller's
    transaction); returns their `fields`, oldest due first, at most SMS_SWEEP_BATCH."""
    lost = now - dt.timedelta(seconds=settings.SMS_OUTBOX_GRACE)
    rows = list(
        queued.select_for_update(skip_locked=True)
        .filter(next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost))
        .order_by("next_attempt_at")
        .values_list("pk", *[name for name in fields if name != "pk"])[: settings.SMS_SWEEP_BATCH]
    )
    queued.model.objects.filter(pk__in=[row[0] for row in rows]).update(enqueued_at=now)
    return rows
