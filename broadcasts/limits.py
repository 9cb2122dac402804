"""The Messages tool's limits: a daily limit per channel, and a rate limit on sends.

The SMS copy counts under the SMS limit (messaging/limits.py) like any SMS; email and
fax copies under their own. Checked together under the credit account lock, in the
transaction that writes the send (see messaging/limits.py for why).
"""

import datetime as dt
from collections.abc import Callable, Mapping

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from messaging.limits import SMS_PER_DAY, DailyLimit, daily_limit_problems, local_time

from .models import Broadcast, Channel, Delivery, DeliveryStatus

RATE_WINDOW = dt.timedelta(minutes=1)


def _copies_sent(channel: str) -> Callable[[User, dt.datetime], tuple[QuerySet, str]]:
    def sent(user: User, since: dt.datetime) -> tuple[QuerySet, str]:
        copies = Delivery.objects.filter(broadcast__user=user, broadcast__created_at__gte=since, channel=channel)
        return copies.exclude(status=DeliveryStatus.SKIPPED), "broadcast__created_at"

    return sent


DAILY = {
    Channel.SMS: SMS_PER_DAY,
    Channel.EMAIL: DailyLimit(
        gettext_lazy("emails"), "max_emails_per_day", "MESSAGES_MAX_EMAILS_PER_DAY", _copies_sent(Channel.EMAIL)
    ),
    Channel.FAX: DailyLimit(
        gettext_lazy("faxes"), "max_faxes_per_day", "MESSAGES_MAX_FAXES_PER_DAY", _copies_sent(Channel.FAX)
    ),
}


def broadcast_limits_problems(*, user: User, counts: Mapping[str, int], now: dt.datetime) -> list[str]:
    """Why sending `counts` (channel -> copies) now would break the user's limits; [] when it may go.

    Also the rate limit (MESSAGES_MAX_PER_MINUTE sends). Call it with the user's credit
    account locked, in the transaction that writes the send.
    """
    daily = {DAILY[channel]: count for channel, count in counts.items()}
    return _rate_problems(user, now) + daily_limit_problems(user=user, counts=daily, now=now)


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
        % {"limit": limit, "when": local_time(user, recent[-1] + RATE_WINDOW, seconds=True)}
    ]
