"""Reads for the Quotas, Credit and history pages and the API. Each is a constant number of queries."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Membership, User

from . import periods
from .history import describe_sends
from .models import CreditAccount, CreditPack, EntryKind, LedgerEntry, MemberUsage, MonthlyUsage, Purchase

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


@dataclass(frozen=True)
class MemberStanding:
    """A member's place in their organisation's pool this period: role, limit and what they charged."""

    organisation: str
    role: str
    manages: bool
    limit: int | None
    used: int  # held or spent this period, what came back deducted: what the limit counts

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def member_standing(*, user: User, account: CreditAccount) -> MemberStanding | None:
    """The user's standing in the pool `account` (from account_for), or None when they pay personally.

    Two indexed queries (the membership, the member's usage row of the period).
    """
    if not account.organisation_id:
        return None
    membership = Membership.objects.filter(user=user, organisation_id=account.organisation_id).first()
    if membership is None:
        return None
    used = (
        MemberUsage.objects.filter(account=account, member=user, period_start=account.period_start)
        .values_list("charged", flat=True)
        .first()
    ) or 0
    return MemberStanding(
        organisation=account.organisation.name,
        role=membership.role,
        manages=membership.manages,
        limit=membership.monthly_limit,
        used=used,
    )


MEMBER_USAGE_PERIODS = 6  # periods shown per member on the organisation's Quotas page


@dataclass(frozen=True)
class MemberUsageRow:
    """One member's line of the organisation's usage table: this period first, then older ones."""

    member_id: int
    name: str
    role: str  # "" for someone who has left (their past use stays)
    limit: int | None
    charged: int  # this period: held or spent, what came back deducted
    used: list[int]  # captured per period, oldest first, the current period last


@dataclass(frozen=True)
class MemberUsageTable:
    period_starts: list[dt.date]  # oldest first
    rows: list[MemberUsageRow]


def member_usage_table(*, account: CreditAccount, periods_shown: int = MEMBER_USAGE_PERIODS) -> MemberUsageTable:
    """Use of an organisation's pool per member over the last periods, from MemberUsage rows.

    Two queries whatever the ledger's length: the memberships, then the usage rows of the
    periods shown (unique index on account, period, member). A former member with use in
    those periods keeps a line.
    """
    starts = periods.recent_period_starts(account.period_start, account.anchor_day, periods_shown)
    index = {start: position for position, start in enumerate(starts)}
    memberships = Membership.objects.filter(organisation_id=account.organisation_id).select_related("user")
    people: dict[int, dict] = {
        m.user_id: {"name": m.user.get_full_name(), "role": m.get_role_display(), "limit": m.monthly_limit}
        for m in memberships
    }
    charged: dict[int, int] = {}
    used: dict[int, list[int]] = {member_id: [0] * len(starts) for member_id in people}
    usage = MemberUsage.objects.filter(account=account, period_start__gte=starts[0]).select_related("member")
    for row in usage:
        if row.period_start not in index:
            continue
        if row.member_id not in people:
            people[row.member_id] = {"name": row.member.get_full_name(), "role": "", "limit": None}
            used[row.member_id] = [0] * len(starts)
        used[row.member_id][index[row.period_start]] += row.used
        if row.period_start == account.period_start:
            charged[row.member_id] = row.charged
    rows = [
        MemberUsageRow(member_id, p["name"], p["role"], p["limit"], charged.get(member_id, 0), used[member_id])
        for member_id, p in people.items()
    ]
    rows.sort(key=lambda row: (-row.charged, row.name.lower()))
    return MemberUsageTable(starts, rows)


@dataclass
class HistoryLine:
    """One line of the credit history: a send (its hold, captures, releases folded
    together) or one change that stands alone (a grant, a purchase, an expiry)."""

    key: str  # the send's hold reference, or "entry:<id>"
    created_at: dt.datetime
    words: str
    detail: str = ""
    url: str = ""
    amount: int = 0  # a change that stands alone: + added, - taken away
    held: int = 0  # a send: what was held for it ...
    used: int = 0  # ... what the SMS centre accepted ...
    given_back: int = 0  # ... what came back (refused, failed, canceled) ...
    expired: int = 0  # ... what came back after its month ended, and so expired
    first_id: int = 0  # its oldest entry: where the next (older) page starts
    member: str = ""  # on an organisation's pool: the member who sent it
    entries: list[LedgerEntry] = field(default_factory=list, repr=False)

    @property
    def is_send(self) -> bool:
        return not self.key.startswith("entry:")

    @property
    def still_held(self) -> int:
        return self.held - self.used - self.given_back - self.expired


_STANDALONE_WORDS = {
    EntryKind.GRANT: lambda e: _("Monthly quota"),
    EntryKind.EXPIRY: lambda e: _("Expired"),
    EntryKind.PURCHASE: lambda e: _("Purchase of %(credits)s SMS") % {"credits": e.amount},
    EntryKind.ADMIN_GRANT: lambda e: _("Granted by an administrator"),
    EntryKind.ADMIN_REMOVAL: lambda e: _("Removed by an administrator"),
}


def ledger_lines(
    *, account: CreditAccount, before_id: int | None = None, viewer: User | None = None
) -> tuple[list[HistoryLine], int | None]:
    """One page of the credit history, newest first, and the id to ask for the next page.

    A line starts at the entry that opened it (a hold, or a change that stands alone);
    keyset pagination on those openers (a partial index) and then one indexed query for
    every entry of the page's sends: three queries whatever the ledger's length, and no
    COUNT. A hold over both buckets is two openers of one line, so twice a page of them
    is read and folded.

    On an organisation's pool every send line names its member; a send of someone other
    than `viewer` shows who sent it, not what or to whom (that message is not the
    viewer's to open).
    """
    openers = LedgerEntry.objects.filter(account=account).filter(Q(hold_reference="") | Q(kind=EntryKind.HOLD))
    if before_id is not None:
        openers = openers.filter(id__lt=before_id)
    lines: dict[str, HistoryLine] = {}
    for entry in openers.select_related("actor").order_by("-id")[: 2 * (LEDGER_PAGE_SIZE + 1)]:
        key = entry.hold_reference or f"entry:{entry.pk}"
        if key not in lines:
            if len(lines) == LEDGER_PAGE_SIZE + 1:
                break
            lines[key] = _standalone_line(key, entry) if not entry.hold_reference else None
    more = len(lines) > LEDGER_PAGE_SIZE
    page_keys = list(lines)[:LEDGER_PAGE_SIZE]
    sends = [key for key in page_keys if lines[key] is None]
    if sends:
        for key, line in _send_lines(account, sends, viewer).items():
            lines[key] = line
    page = [lines[key] for key in page_keys if lines[key] is not None]
    return page, (page[-1].first_id if more and page else None)


def _standalone_line(key: str, entry: LedgerEntry) -> HistoryLine:
    words = _STANDALONE_WORDS.get(entry.kind, lambda e: e.get_kind_display())(entry)
    detail = entry.reason
    if entry.actor is not None and entry.reason:
        detail = f"{entry.reason} ({entry.actor.get_full_name()})"
    return HistoryLine(
        key=key,
        created_at=entry.created_at,
        words=words[:1].upper() + words[1:],
        detail=detail,
        amount=entry.amount,
        first_id=entry.pk,
        entries=[entry],
    )


def _send_lines(account: CreditAccount, references: list[str], viewer: User | None) -> dict[str, HistoryLine]:
    described = describe_sends(references)
    lines: dict[str, HistoryLine] = {}
    entries = LedgerEntry.objects.filter(account=account, hold_reference__in=references).order_by("id")
    if account.organisation_id:
        entries = entries.select_related("actor")
    for entry in entries:
        line = lines.get(entry.hold_reference)
        if line is None:
            description = described.get(entry.hold_reference)
            line = lines[entry.hold_reference] = HistoryLine(
                key=entry.hold_reference,
                created_at=entry.created_at,
                words=description.words if description else _("SMS"),
                url=description.url if description else "",
                first_id=entry.pk,
            )
            if account.organisation_id and entry.actor is not None:
                line.member = entry.actor.get_full_name()
                if viewer is None or entry.actor_id != viewer.pk:
                    line.words, line.url = _("SMS"), ""
        line.entries.append(entry)
        if entry.kind == EntryKind.HOLD:
            line.held += entry.held_delta
        elif entry.kind == EntryKind.CAPTURE:
            line.used -= entry.held_delta
        elif entry.kind == EntryKind.RELEASE:
            line.given_back += entry.available_delta
        elif entry.kind == EntryKind.EXPIRY:
            line.expired -= entry.held_delta
    return lines


def packs_on_sale() -> list[CreditPack]:
    return list(CreditPack.objects.filter(active=True))


def recent_purchases(*, account: CreditAccount, limit: int = 20) -> list[Purchase]:
    return list(account.purchases.select_related("pack")[:limit])
