"""Per-user sending limits on every channel: SMS, and the Messages tool's email and fax copies.

    daily_limit()               the user's limit for a channel: their Sending limits
                                override (admin), else the setting
    daily_used()                what the user sent on a channel in the last 24 hours
    sending_limits_problems()   why a send would break a limit (empty: it may go)

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
from collections.abc import Mapping

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User

from .models import Broadcast, Channel, Delivery, DeliveryStatus, Recipient, SendingLimits

WINDOW = dt.timedelta(days=1)
RATE_WINDOW = dt.timedelta(minutes=1)

# Channel -> (SendingLimits field, setting): the per-user override wins when set.
DAILY = {
    Channel.SMS: ("max_sms_per_day", "SMS_MAX_PER_DAY"),
    Channel.EMAIL: ("max_emails_per_day", "MESSAGES_MAX_EMAILS_PER_DAY"),
    Channel.FAX: ("max_faxes_per_day", "MESSAGES_MAX_FAXES_PER_DAY"),
}


def daily_limit(*, user: User, channel: str, own: SendingLimits | None = None) -> int:
    """How many copies on `channel` the user may send in 24 hours."""
    if own is None:
        own = SendingLimits.objects.filter(user=user).first()
    field_name, setting = DAILY[channel]
    value = getattr(own, field_name) if own is not None else None
    return value if value is not None else getattr(settings, setting)


def daily_used(*, user: User, channel: str, now: dt.datetime) -> int:
    return _sent(user, channel, now - WINDOW)[0].count()


def sending_limits_problems(
    *, user: User, counts: Mapping[str, int], now: dt.datetime, messages_tool: bool = False
) -> list[str]:
    """Why sending `counts` (channel -> copies) now would break the user's limits; [] when it may go.

    `messages_tool`: also the Messages tool's rate limit (MESSAGES_MAX_PER_MINUTE sends).
    Call it with the user's credit account locked (module docstring), in the
    transaction that writes the send.
    """
    own = SendingLimits.objects.filter(user=user).first()
    problems = []
    if messages_tool:
        problems += _rate_problems(user, now)
    for channel, count in counts.items():
        if count <= 0:
            continue
        limit = daily_limit(user=user, channel=channel, own=own)
        used = daily_used(user=user, channel=channel, now=now)
        if used + count > limit:
            problems.append(_daily_problem(user, channel, count, used, limit, now))
    return problems


# Internals --------------------------------------------------------------------------


def _sent(user: User, channel: str, since: dt.datetime) -> tuple[QuerySet, str]:
    """The copies on `channel` accepted since `since`, and the field saying when their send was."""
    if channel == Channel.SMS:
        return Recipient.objects.filter(message__user=user, message__created_at__gte=since), "message__created_at"
    copies = Delivery.objects.filter(broadcast__user=user, broadcast__created_at__gte=since, channel=channel)
    return copies.exclude(status=DeliveryStatus.SKIPPED), "broadcast__created_at"


def _daily_problem(user: User, channel: str, count: int, used: int, limit: int, now: dt.datetime) -> str:
    what = {Channel.SMS: _("SMS"), Channel.EMAIL: _("emails"), Channel.FAX: _("faxes")}[channel]
    values = {"total": used + count, "what": what, "limit": limit, "left": max(limit - used, 0)}
    head = _("This send would make %(total)s %(what)s in 24 hours; the limit is %(limit)s.") % values
    if count > limit:
        return head + " " + _("%(left)s left for now: send to fewer recipients.") % values
    # Room comes back as the oldest sends leave the 24-hour window: find the one after
    # which enough has left for this send.
    must_leave = used + count - limit
    left_so_far = 0
    when = now
    copies, at = _sent(user, channel, now - WINDOW)
    for row in copies.values(at).annotate(n=Count("id")).order_by(at):
        left_so_far += row["n"]
        when = row[at] + WINDOW
        if left_so_far >= must_leave:
            break
    values["when"] = _local(user, when)
    return head + " " + _("%(left)s left for now; enough for this send from %(when)s.") % values


def _rate_problems(user: User, now: dt.datetime) -> list[str]:
    limit = settings.MESSAGES_MAX_PER_MINUTE
    recent = list(
        Broadcast.objects.filter(user=user, created_at__gte=now - RATE_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return []
    return [
        _("You sent %(limit)s messages in the last minute, the most allowed. Try again from %(when)s.")
        % {"limit": limit, "when": _local(user, recent[-1] + RATE_WINDOW, seconds=True)}
    ]


def _local(user: User, moment: dt.datetime, *, seconds: bool = False) -> str:
    """A time as the user reads it: their time zone, their language's format."""
    local = moment.astimezone(zoneinfo.ZoneInfo(user.time_zone))
    return date_format(local, "DATE_FORMAT") + " " + local.strftime("%H:%M:%S" if seconds else "%H:%M")
