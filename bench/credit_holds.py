"""Credit holds per second, and the Quotas page behind a long ledger, on PostgreSQL.

Prints, in one run:
  (a) holding one credit per recipient (one transaction and row lock each), the baseline;
  (b) holding a whole send of 1,000 recipients at once (what message_send does);
  (c) the Quotas and credit-history pages with 1,000,000 ledger rows behind them
      (median server time through Django's test client);
  (d) the same batched holds on an organisation's pool, 50 members each under a monthly
      limit (checked under the same lock), beside (b) measured again next to it;
  (e) the organisation's Quotas page (use per member) with 50 members, 12 periods of
      usage rows and 1,000,000 ledger rows behind the pool.
Targets: (b) >= 20,000 credits/s; (c) and (e) Quotas page < 50 ms; (d) within 10 % of (b).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice .venv/bin/python bench/credit_holds.py
"""

import logging
import time

from common import median_ms, throwaway_database
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import membership_add, membership_limit_set, organisation_create
from credits import periods
from credits.models import MemberUsage, Plan
from credits.services import account_for, credits_grant, credits_hold, pool_for

logging.getLogger("celery").setLevel(logging.WARNING)  # the low-credit task runs eagerly here

PER_RECIPIENT_HOLDS = 2_000
SENDS, RECIPIENTS_PER_SEND = 50, 1_000
LEDGER_ROWS = 1_000_000
REPEAT = 20


def funded_account(name: str, credits: int):
    account = account_for(user=User.objects.create(username=name))
    return credits_grant(account=account, amount=credits, reason="bench", actor=None)


def holds_per_second(account, count: int, amount: int, prefix: str, members: list | None = None) -> float:
    start = time.perf_counter()
    for number in range(count):
        member = members[number % len(members)] if members else None
        credits_hold(account=account, amount=amount, reference=f"{prefix}:{number}", member=member)
    return count * amount / (time.perf_counter() - start)


MEMBERS = 50


def organisation_with_members(name: str, credits: int):
    owner = User.objects.create(username=f"{name}-owner", full_name="Owner")
    organisation = organisation_create(name=name, owner=owner)
    members = [owner]
    for number in range(MEMBERS - 1):
        member = User.objects.create(username=f"{name}-{number}", full_name=f"Member {number}")
        membership_add(organisation=organisation, user=member)
        members.append(member)
    for member in members:
        membership_limit_set(organisation=organisation, user=member, limit=1_000_000)
    pool = credits_grant(account=pool_for(organisation=organisation), amount=credits, reason="bench", actor=None)
    return organisation, pool, members


def fill_ledger(account, rows: int) -> None:
    """Append `rows` capture-like entries straight in SQL (the services would take hours)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO credits_ledgerentry (account_id, created_at, kind, bucket, available_delta, held_delta,
                                             available_after, held_after, reference, reason, hold_reference)
            SELECT %s, now(), 'capture', 'provision', 0, 0, 0, 0, 'bench:' || %s || ':' || n, '', ''
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

        # (d): the two kinds of account side by side, alternating rounds so that neither
        # gets a warmer cache; the best round of each is compared.
        personal_runs, pool_runs = [], []
        for round_number in range(3):
            personal = funded_account(f"personal-{round_number}", SENDS * RECIPIENTS_PER_SEND)
            personal_runs.append(holds_per_second(personal, SENDS, RECIPIENTS_PER_SEND, f"p{round_number}"))
            _organisation, pool, members = organisation_with_members(f"Org {round_number}", SENDS * RECIPIENTS_PER_SEND)
            pool_runs.append(holds_per_second(pool, SENDS, RECIPIENTS_PER_SEND, f"o{round_number}", members))
        personal_best, pool_best = max(personal_runs), max(pool_runs)
        print(
            f"(d) batched holds, personal account:    {personal_best:>10,.0f} credits/s  (baseline, best of 3)\n"
            f"    batched holds, organisation pool:   {pool_best:>10,.0f} credits/s  "
            f"({MEMBERS} members under limits; {100 * (pool_best / personal_best - 1):+.1f} %, target within 10 %)"
        )

        _organisation, pool, members = organisation_with_members("Big", 100)
        fill_ledger(pool, LEDGER_ROWS)
        starts = periods.recent_period_starts(pool.period_start, pool.anchor_day, 12)
        MemberUsage.objects.bulk_create(
            MemberUsage(account=pool, member=m, period_start=s, charged=7, used=5) for m in members for s in starts
        )
        client.force_login(members[0])
        org_quotas = median_ms(client, reverse("quotas"), repeat=REPEAT)
        print(
            f"(e) organisation Quotas page, {MEMBERS} members, {LEDGER_ROWS:,} ledger rows: {org_quotas:.1f} ms "
            f"(target < 50 ms; the personal page above: {quotas:.1f} ms)"
        )


if __name__ == "__main__":
    main()
