"""Per-user daily sending limits: the mechanism, and the SMS limit.

    DailyLimit                  one limit: what it counts, its Sending limits field
                                (the admin's per-user override) and its setting
    daily_limit()               the user's number for a limit: override, else the setting
    daily_used()                what the user sent under a limit in the last 24 hours
    daily_limit_problems()      why a send would break limits (empty: it may go)

The Messages tool adds its email and fax limits and a rate limit (broadcasts/limits.py).

The window is rolling: a copy counts for 24 hours from the moment its send was
accepted, so "when it resets" is when the oldest sends leave the window.

Checked under the credit account's row lock. The caller locks the user's credit
account with `credits.services.account_lock` (the `SELECT ... FOR UPDATE` that the
credit hold takes) and checks in the transaction that then writes the send, so
concurrent sends of one user queue on that row and each counts what the earlier
ones committed: 30 concurrent one-recipient sends against a limit of 10 accept
exactly 10 (tests/messaging/test_limits_concurrency.py). Checked anywhere else,
two requests read the same count and both pass.
"""

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User

from .models import Recipient, RecipientStatus, SendingLimits

WINDOW = dt.timedelta(days=1)


@dataclass(frozen=True)
class DailyLimit:
    """One per-user limit over a rolling 24 hours.

    `sent(user, since)` answers the rows that count (one per copy sent since `since`)
    and the field that says when their send was accepted.
    """

    what: Promise  # plural, for the refusal: "SMS", "emails"
    field: str  # of SendingLimits: the admin's override for one user
    setting: str  # the installation's default
    sent: Callable[[User, dt.datetime], tuple[QuerySet, str]]


def _sms_sent(user: User, since: dt.datetime) -> tuple[QuerySet, str]:
    # A skipped List member was never sent: it does not count against the day's SMS.
    sent = Recipient.objects.filter(message__user=user, message__created_at__gte=since)
    return sent.exclude(status=RecipientStatus.SKIPPED), "message__created_at"


SMS_PER_DAY = DailyLimit(gettext_lazy("SMS"), "max_sms_per_day", "SMS_MAX_PER_DAY", _sms_sent)


def daily_limit(*, user: User, limit: DailyLimit, own: SendingLimits | None = None) -> int:
    """How many the user may send under `limit` in 24 hours."""
    if own is None:
        own = SendingLimits.objects.filter(user=user).first()
    value = getattr(own, limit.field) if own is not None else None
    return value if value is not None else getattr(settings, limit.setting)


def daily_used(*, user: User, limit: DailyLimit, now: dt.datetime) -> int:
    return limit.sent(user, now - WINDOW)[0].count()


def daily_limit_problems(*, user: User, counts: Mapping[DailyLimit, int], now: dt.datetime) -> list[str]:
    """Why sending `counts` (limit -> copies) now would break the user's limits; [] when it may go.

    Call it with the user's credit account locked (module docstring), in the
    transaction that writes the send.
    """
    own = SendingLimits.objects.filter(user=user).first()
    problems = []
    for limit, count in counts.items():
        if count <= 0:
            continue
        allowed = daily_limit(user=user, limit=limit, own=own)
        used = daily_used(user=user, limit=limit, now=now)
        if used + count > allowed:
            problems.append(_daily_problem(user, limit, count, used, allowed, now))
    return problems


def local_time(user: User, moment: dt.datetime, *, seconds: bool = False) -> str:
    """A time as the user reads it: their time zone, their language's format."""
    local = moment.astimezone(zoneinfo.ZoneInfo(user.time_zone))
    return date_format(local, "DATE_FORMAT") + " " + local.strftime("%H:%M:%S" if seconds else "%H:%M")


# Internals --------------------------------------------------------------------------


def _daily_problem(user: User, daily: DailyLimit, count: int, used: int, limit: int, now: dt.datetime) -> str:
    values = {"total": used + count, "what": daily.what, "limit": limit, "left": max(limit - used, 0)}
    head = _("This send would make %(total)s %(what)s in 24 hours; the limit is %(limit)s.") % values
    if count > limit:
        return head + " " + _("%(left)s left for now: send to fewer recipients.") % values
    # Room comes back as the oldest sends leave the 24-hour window: find the one after
    # which enough has left for this send.
    must_leave = used + count - limit
    left_so_far = 0
    when = now
    copies, at = daily.sent(user, now - WINDOW)
    for row in copies.values(at).annotate(n=Count("id")).order_by(at):
        left_so_far += row["n"]
        when = row[at] + WINDOW
        if left_so_far >= must_leave:
            break
    values["when"] = local_time(user, when)
    return head + " " + _("%(left)s left for now; enough for this send from %(when)s.") % values
