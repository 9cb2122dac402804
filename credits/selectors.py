"""Reads for the Quotas, Credit and history pages and the API. Each is a constant number of queries."""

import datetime as dt
from dataclasses import dataclass

from . import periods
from .models import CreditAccount, CreditPack, LedgerEntry, MonthlyUsage, Purchase

LEDGER_PAGE_SIZE = 50


@dataclass(frozen=True)
class QuotaSummary:
    allowance: int
    used: int
    held: int
    remaining: int
    period_start: dt.date
    period_end: dt.date  # exclusive
    provision_balance: int
    provision_held: int

    @property
    def total_available(self) -> int:
        return self.remaining + self.provision_balance

    @property
    def period_last_day(self) -> dt.date:
        return self.period_end - dt.timedelta(days=1)


@dataclass(frozen=True)
class UsageMonth:
    period_start: dt.date
    monthly_used: int
    provision_used: int

    @property
    def total(self) -> int:
        return self.monthly_used + self.provision_used


def quota_summary(*, account: CreditAccount) -> QuotaSummary:
    return QuotaSummary(
        allowance=account.monthly_allowance,
        used=account.monthly_used,
        held=account.monthly_held,
        remaining=account.monthly_remaining,
        period_start=account.period_start,
        period_end=account.period_end,
        provision_balance=account.provision_balance,
        provision_held=account.provision_held,
    )


def usage_history(*, account: CreditAccount, months: int = 12) -> list[UsageMonth]:
    """Credits used in each of the last `months` periods (the current one last), zeros included."""
    starts = periods.recent_period_starts(account.period_start, account.anchor_day, months)
    rows = {row.period_start: row for row in MonthlyUsage.objects.filter(account=account, period_start__gte=starts[0])}
    return [
        UsageMonth(start, rows[start].monthly_used, rows[start].provision_used)
        if start in rows
        else UsageMonth(start, 0, 0)
        for start in starts
    ]


def ledger_entries(*, account: CreditAccount, before_id: int | None = None) -> tuple[list[LedgerEntry], int | None]:
    """One page of the ledger, newest first, and the id to ask for the next (older) page.

    Keyset pagination on (account, id): the same speed on page 1 and page 20,000,
    with no COUNT over a long ledger.
    """
    entries = LedgerEntry.objects.filter(account=account).select_related("actor")
    if before_id is not None:
        entries = entries.filter(id__lt=before_id)
    page = list(entries.order_by("-id")[: LEDGER_PAGE_SIZE + 1])
    next_before = page[LEDGER_PAGE_SIZE - 1].id if len(page) > LEDGER_PAGE_SIZE else None
    return page[:LEDGER_PAGE_SIZE], next_before


def packs_on_sale() -> list[CreditPack]:
    return list(CreditPack.objects.filter(active=True))


def recent_purchases(*, account: CreditAccount, limit: int = 20) -> list[Purchase]:
    return list(account.purchases.select_related("pack")[:limit])
