"""Credit holds per second, and the Quotas page behind a long ledger, on PostgreSQL.

Prints, in one run:
  (a) holding one credit per recipient (one transaction and row lock each), the baseline;
  (b) holding a whole send of 1,000 recipients at once (what message_send does);
  (c) the Quotas and credit-history pages with 1,000,000 ledger rows behind them
      (median server time through Django's test client).
Targets: (b) >= 20,000 credits/s; (c) Quotas page < 50 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice .venv/bin/python bench/credit_holds.py
"""

import logging
import time

from common import median_ms, throwaway_database
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from credits.models import Plan
from credits.services import account_for, credits_grant, credits_hold

logging.getLogger("celery").setLevel(logging.WARNING)  # the low-credit task runs eagerly here

PER_RECIPIENT_HOLDS = 2_000
SENDS, RECIPIENTS_PER_SEND = 50, 1_000
LEDGER_ROWS = 1_000_000
REPEAT = 20


def funded_account(name: str, credits: int):
    account = account_for(user=User.objects.create(username=name))
    return credits_grant(account=account, amount=credits, reason="bench", actor=None)


def holds_per_second(account, count: int, amount: int, prefix: str) -> float:
    start = time.perf_counter()
    for number in range(count):
        credits_hold(account=account, amount=amount, reference=f"{prefix}:{number}")
    return count * amount / (time.perf_counter() - start)


def fill_ledger(account, rows: int) -> None:
    """Append `rows` capture-like entries straight in SQL (the services would take hours)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO credits_ledgerentry (account_id, created_at, kind, bucket, available_delta, held_delta,
                                             available_after, held_after, reference, reason)
            SELECT %s, now(), 'capture', 'provision', 0, 0, 0, 0, 'bench:' || %s || ':' || n, ''
            FROM generate_series(1, %s) AS n
            """,
            [account.pk, account.pk, rows],
        )
        cursor.execute("ANALYZE credits_ledgerentry")


def main() -> None:
    with throwaway_database(postgres_only=True):
        Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
        single = holds_per_second(funded_account("one", PER_RECIPIENT_HOLDS), PER_RECIPIENT_HOLDS, 1, "recipient")
        batched = holds_per_second(
            funded_account("batch", SENDS * RECIPIENTS_PER_SEND), SENDS, RECIPIENTS_PER_SEND, "message"
        )
        print(f"(a) one hold per recipient:        {single:>10,.0f} credits/s  (baseline, {PER_RECIPIENT_HOLDS} holds)")
        print(
            f"(b) one hold per 1,000-recipient send: {batched:>10,.0f} credits/s  "
            f"({batched / single:.0f}x the baseline; target >= 20,000)"
        )

        account = funded_account("long-ledger", 100)
        user = account.user
        fill_ledger(account, LEDGER_ROWS)
        client = Client()
        client.force_login(user)
        quotas = median_ms(client, reverse("quotas"), repeat=REPEAT)
        history = median_ms(client, reverse("ledger"), repeat=REPEAT)
        deep = median_ms(client, reverse("ledger"), {"before": account.entries.order_by("id")[500].id}, repeat=REPEAT)
        print(
            f"(c) with {LEDGER_ROWS:,} ledger rows: Quotas page {quotas:.1f} ms (target < 50 ms), "
            f"history first page {history:.1f} ms, history near the oldest entries {deep:.1f} ms "
            f"(median of {REPEAT})"
        )


if __name__ == "__main__":
    main()
