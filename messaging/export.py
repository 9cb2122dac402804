"""Deliveries as CSV: one message's recipients, or every SMS of the user over a date range.

Streamed a row at a time from a server-side cursor (`QuerySet.iterator`), so memory stays
flat whatever the number of rows (bench/sms_export.py measures 10,000 against 100,000).
A cell that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
carriage return) is prefixed with an apostrophe (OWASP's advice on CSV injection): E.164
numbers too, which keeps their "+" visible in a spreadsheet instead of a number.
"""

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from credits.models import CreditAccount, EntryKind, Hold, LedgerEntry

from .models import Message, RecipientStatus
from .selectors import GIVEN_BACK

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2_000  # rows fetched at a time from the cursor
ORGANISATION_HEADER = ["date", "member", "message id", "recipients", "parts", "credits captured", "credits released"]


class _Echo:
    """A file-like object whose write() returns the line (csv.writer writes into it)."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def header() -> list[str]:
    return [
        _("date"),
        _("sender"),
        _("recipient number"),
        _("contact name"),
        _("state"),
        _("parts"),
        _("credits"),
        _("provider error"),
    ]


def organisation_sms_rows(*, account: CreditAccount, period_start: dt.date) -> Iterator[list]:
    """The organisation's SMS for a period, for billing: one row per send its pool paid (its
    Hold): date, member, message id, recipients, parts, credits captured, credits released.

    Holds are read in id order a chunk at a time (keyset on the hold_account_period index);
    each chunk costs two more queries (its messages, its ledger sums through ledger_by_send),
    so memory and queries per row stay flat whatever the period's size. Header first."""
    yield ORGANISATION_HEADER
    after = 0
    while True:
        holds = list(
            Hold.objects.filter(account=account, period_start=period_start, id__gt=after)
            .select_related("member")
            .order_by("id")
            .only("id", "reference", "created_at", "member__full_name", "member__username")[:CHUNK]
        )
        if not holds:
            return
        after = holds[-1].pk
        message_ids = [int(h.reference.split(":")[1]) for h in holds if h.reference.startswith("message:")]
        messages = {
            row["pk"]: row
            for row in Message.objects.filter(pk__in=message_ids).values("pk", "segments", "credits_held")
        }
        settled: dict[str, list[int]] = {}
        sums = (
            LedgerEntry.objects.filter(account=account, hold_reference__in=[h.reference for h in holds])
            .exclude(kind=EntryKind.HOLD)
            .values("hold_reference", "kind")
            .annotate(total=Sum("held_delta"))
        )
        for row in sums:
            captured_released = settled.setdefault(row["hold_reference"], [0, 0])
            captured_released[0 if row["kind"] == EntryKind.CAPTURE else 1] -= row["total"]
        for hold in holds:
            number = hold.reference.partition(":")[2]
            message = messages.get(int(number)) if number.isdigit() else None
            parts = message["segments"] if message else 0
            recipients = message["credits_held"] // parts if message and parts else 0
            captured, released = settled.get(hold.reference, (0, 0))
            member = hold.member.get_full_name() if hold.member else ""
            yield [
                hold.created_at.isoformat(timespec="seconds"),
                member,
                number if message else hold.reference,
                recipients,
                parts,
                captured,
                released,
            ]


def csv_stream(recipients: QuerySet) -> Iterator[str]:
    """The CSV lines of `recipients`, one a recipient. `credits` is what it costs: its parts
    unless they were given back (failed, canceled) or never held (skipped).

    The zone and the labels are taken now: the lines are produced after the view returned,
    when the request's language and time zone are no longer active."""
    zone = timezone.get_current_timezone()
    labels = {key: str(label) for key, label in RecipientStatus.choices}
    return csv_lines(header(), _rows(recipients, zone, labels))


def _rows(recipients: QuerySet, zone: dt.tzinfo, labels: dict[str, str]) -> Iterator[list[str]]:
    fields = (
        "message__created_at",
        "message__user__full_name",
        "message__user__username",
        "to",
        "contact__name",
        "status",
        "parts",
        "error_code",
        "error_reason",
    )
    table = recipients.values_list(*fields).iterator(chunk_size=CHUNK)
    for created, full_name, username, to, contact, status, parts, code, reason in table:
        spent = 0 if status in GIVEN_BACK or status == RecipientStatus.SKIPPED else parts
        yield [
            created.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            full_name or username,
            to,
            contact or "",
            labels.get(status, status),
            str(parts),
            str(spent),
            ": ".join(part for part in (code, reason) if part),
        ]


def csv_lines(head: list[str], table: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM: spreadsheets then read the file as UTF-8
    yield writer.writerow(head)
    for row in table:
        yield writer.writerow([safe_cell(cell) for cell in row])


def filename(prefix: str, day: dt.date | None = None) -> str:
    return f"{prefix}-{(day or timezone.localdate()).isoformat()}.csv"
