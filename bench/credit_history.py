"""The credit history page with 200,000 ledger rows on one account (PostgreSQL).

    DATABASE_URL=postgres://... .venv/bin/python bench/credit_history.py

Prints the page's median time (Django's client, server side) on the first page and on a
page near the oldest entries, and the same for the reads alone; the baseline, measured
in the same run, is the raw-entries page the history replaced (keyset on id, one query).
"""

import statistics
import time

from common import median_ms, throwaway_database
from django.test import Client
from django.urls import reverse

from credits.models import Bucket, EntryKind, LedgerEntry, Plan
from credits.selectors import LEDGER_PAGE_SIZE, ledger_lines
from credits.services import account_for
from tests.factories import UserFactory

ROWS = 200_000


def fill(account) -> int:
    """Sends of 1 to 3 credits (a hold, a capture, sometimes a release) and a grant now and then."""
    entries, send = [], 0
    while len(entries) < ROWS:
        send += 1
        reference = f"message:{send}"
        entries.append(
            LedgerEntry(
                account=account,
                kind=EntryKind.HOLD,
                bucket=Bucket.MONTHLY,
                available_delta=-2,
                held_delta=2,
                available_after=0,
                held_after=2,
                reference=reference,
                hold_reference=reference,
            )
        )
        entries.append(
            LedgerEntry(
                account=account,
                kind=EntryKind.CAPTURE,
                bucket=Bucket.MONTHLY,
                available_delta=0,
                held_delta=-1,
                available_after=0,
                held_after=1,
                reference=f"dispatch:x:{send}",
                hold_reference=reference,
            )
        )
        if send % 3 == 0:
            entries.append(
                LedgerEntry(
                    account=account,
                    kind=EntryKind.RELEASE,
                    bucket=Bucket.MONTHLY,
                    available_delta=1,
                    held_delta=-1,
                    available_after=1,
                    held_after=0,
                    reference=f"dispatch:y:{send}",
                    hold_reference=reference,
                )
            )
        if send % 500 == 0:
            entries.append(
                LedgerEntry(
                    account=account,
                    kind=EntryKind.ADMIN_GRANT,
                    bucket=Bucket.PROVISION,
                    available_delta=10,
                    available_after=10,
                    held_after=0,
                    reference=f"admin:{send}",
                    reason="top-up",
                )
            )
    for start in range(0, len(entries), 10_000):
        LedgerEntry.objects.bulk_create(entries[start : start + 10_000])
    return send


def raw_page(account, before_id):
    """The page before this change: 50 raw entries, keyset on id."""
    entries = LedgerEntry.objects.filter(account=account).select_related("actor")
    if before_id is not None:
        entries = entries.filter(id__lt=before_id)
    return list(entries.order_by("-id")[: LEDGER_PAGE_SIZE + 1])


def median_call_ms(function, repeat: int = 15) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    with throwaway_database(postgres_only=True):
        Plan.objects.create(name="Standard", monthly_allowance=100, is_default=True)
        user = UserFactory()
        account = account_for(user=user)
        sends = fill(account)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE credits_ledgerentry")
        total = LedgerEntry.objects.filter(account=account).count()
        oldest = LedgerEntry.objects.filter(account=account).order_by("id").values_list("id", flat=True)[300]
        client = Client()
        client.force_login(user)
        url = reverse("ledger")
        print(f"{total:,} ledger rows, {sends:,} sends, one account")
        for label, before in (("first page", None), ("near the oldest", oldest)):
            params = {"before": before} if before else {}
            lines, _next = ledger_lines(account=account, before_id=before)
            page_ms = median_ms(client, url, params)
            reads_ms = median_call_ms(lambda b=before: ledger_lines(account=account, before_id=b))
            raw_ms = median_call_ms(lambda b=before: raw_page(account, b))
            print(
                f"{label:>16}: history page {page_ms:6.1f} ms ({len(lines)} lines); reads {reads_ms:5.1f} ms"
                f" | baseline: raw entries read {raw_ms:5.1f} ms"
            )


if __name__ == "__main__":
    main()
