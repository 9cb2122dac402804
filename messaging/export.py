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

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import RecipientStatus
from .selectors import GIVEN_BACK

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2_000  # rows fetched at a time from the cursor


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


def csv_stream(recipients: QuerySet) -> Iterator[str]:
    """The CSV lines of `recipients`, one a recipient. `credits` is what it costs: its parts
    unless they were given back (failed, canceled) or never held (skipped).

    The zone and the labels are taken now: the lines are produced after the view returned,
    when the request's language and time zone are no longer active."""
    zone = timezone.get_current_timezone()
    labels = {key: str(label) for key, label in RecipientStatus.choices}
    return _lines(header(), _rows(recipients, zone, labels))


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


def _lines(head: list[str], table: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM: spreadsheets then read the file as UTF-8
    yield writer.writerow(head)
    for row in table:
        yield writer.writerow([safe_cell(cell) for cell in row])


def filename(prefix: str, day: dt.date | None = None) -> str:
    return f"{prefix}-{(day or timezone.localdate()).isoformat()}.csv"
