"""The organisation's SMS for a period, as CSV for billing: streamed, in constant memory.

One row per send the pool paid (its Hold): date, member, message id, recipients, parts,
credits captured, credits released. Holds are read in id order a chunk at a time
(keyset on the hold_account_period index); each chunk costs two more queries (its
messages, its ledger sums through ledger_by_send), so memory and queries per row stay
flat whatever the period's size.
"""

import csv
import datetime as dt
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.selectors import membership_of
from credits import periods
from credits.models import CreditAccount, EntryKind, Hold, LedgerEntry
from credits.services import pool_for

from .models import Message

CHUNK = 2000
HEADER = ["date", "member", "message id", "recipients", "parts", "credits captured", "credits released"]
# A cell starting with one of these is a formula in Excel, LibreOffice and Sheets (OWASP's
# "CSV injection"); a leading apostrophe makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def organisation_sms_rows(*, account: CreditAccount, period_start: dt.date) -> Iterator[list]:
    """The CSV rows (header first) of the sends `account` held for in the period starting `period_start`."""
    yield HEADER
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
                safe_cell(member),
                safe_cell(number if message else hold.reference),
                recipients,
                parts,
                captured,
                released,
            ]


class _Echo:
    """csv.writer writes to this and gets the line back: nothing is kept."""

    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def organisation_export(request: HttpRequest) -> HttpResponse:
    """Owners and admins: the organisation's SMS of a period (?period=YYYY-MM-DD, a period start)."""
    membership = membership_of(user=request.user)
    if membership is None or not membership.manages:
        raise PermissionDenied(_("Only the organisation's owners and admins export its SMS."))
    account = pool_for(organisation=membership.organisation)
    starts = periods.recent_period_starts(account.period_start, account.anchor_day, 24)
    chosen = request.GET.get("period", "")
    if chosen:
        try:
            period_start = dt.date.fromisoformat(chosen)
        except ValueError:
            period_start = None
        if period_start not in starts:
            message = _("Choose a period start of the last 24 months, written YYYY-MM-DD, such as %(example)s.") % {
                "example": account.period_start.isoformat()
            }
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    else:
        period_start = account.period_start
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in organisation_sms_rows(account=account, period_start=period_start)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"sms-{membership.organisation.pk}-{period_start.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
