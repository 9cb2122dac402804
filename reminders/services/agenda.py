"""The agenda by SMS: settings, the text, and the tick that sends it."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import User
from credits.services import InsufficientCredit
from messaging import segments
from messaging.services.accepting import message_send
from messaging.services.planning import SendRefused

from .. import occurrences
from ..models import AgendaDay, AgendaFiring, AgendaSubscription, FiringStatus
from ..selectors import Occurrence, occurrences_between


class AgendaError(ValueError):
    """Refused agenda settings; `field` names the form field, `str(error)` says why."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def agenda_settings_save(
    *,
    user: User,
    enabled: bool,
    send_time: dt.time,
    weekdays: str,
    day: str,
    max_parts: int,
    send_empty: bool,
    now: dt.datetime | None = None,
) -> AgendaSubscription:
    if enabled and not weekdays:
        raise AgendaError(_("Choose at least one day of the week."), "weekdays")
    if not 1 <= max_parts <= 10:
        raise AgendaError(_("Choose between 1 and 10 parts."), "max_parts")
    subscription, _created = AgendaSubscription.objects.get_or_create(user=user)
    subscription.enabled, subscription.send_time, subscription.day = enabled, send_time, day
    subscription.weekdays = "".join(sorted(set(weekdays)))
    subscription.max_parts, subscription.send_empty = max_parts, send_empty
    subscription.next_fire_at = _next_fire(subscription, now or timezone.now()) if enabled else None
    subscription.full_clean()
    subscription.save()
    return subscription


def agenda_text(*, user: User, day: dt.date, items: list[Occurrence], max_parts: int) -> str:
    """ "Agenda Tue 3 Mar: 09:00 Team meeting (Room 4); ..." cut cleanly with "+N more"."""
    tz = occurrences.zone(user.time_zone)
    with override(user.language):
        head = _("Agenda %(day)s:") % {"day": date_format(day, "D j M")}
        lines = [_line(item, tz) for item in items]
        if not lines:
            return f"{head} {_('no events.')}"
        for shown in range(len(lines), -1, -1):
            rest = len(lines) - shown
            text = "\n".join([head, *lines[:shown]] + ([_("+%(count)s more") % {"count": rest}] if rest else []))
            if segments.count(text).segments <= max_parts:
                return text
        return head


def agenda_tick(*, now: dt.datetime | None = None, batch: int = 1000) -> dict[str, int]:
    """Send every due agenda, one per transaction (SKIP LOCKED, one per user and day)."""
    now = now or timezone.now()
    counts = {status: 0 for status in FiringStatus.values}
    for _attempt in range(batch):
        with transaction.atomic():
            subscription = (
                AgendaSubscription.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(next_fire_at__lte=now)
                .order_by("next_fire_at")
                .first()
            )
            if subscription is None:
                break
            status = _fire(subscription, now)
            if status:
                counts[status] += 1
    return counts


def _line(item: Occurrence, tz) -> str:
    when = _("all day") if item.event.all_day else item.start.astimezone(tz).strftime("%H:%M")
    where = f" ({item.event.location})" if item.event.location else ""
    return f"{when} {item.event.title}{where}"


def _next_fire(subscription: AgendaSubscription, after: dt.datetime) -> dt.datetime | None:
    tz = occurrences.zone(subscription.user.time_zone)
    local_day = after.astimezone(tz).date()
    for offset in range(8):
        day = local_day + dt.timedelta(days=offset)
        if str(day.isoweekday()) in subscription.weekdays:
            moment = occurrences.to_utc(dt.datetime.combine(day, subscription.send_time), tz)
            if moment > after:
                return moment
    return None


def _fire(subscription: AgendaSubscription, now: dt.datetime) -> str:
    user = subscription.user
    tz = occurrences.zone(user.time_zone)
    fire_day = subscription.next_fire_at.astimezone(tz).date()
    day = fire_day + dt.timedelta(days=1 if subscription.day == AgendaDay.TOMORROW else 0)
    status, reason, message = FiringStatus.SENT, "", None
    try:
        with transaction.atomic():
            firing = AgendaFiring.objects.create(subscription=subscription, day=day, status=status)
    except IntegrityError:
        firing = None  # this day's agenda went out already
    if firing is not None:
        status, reason, message = _deliver(subscription, day, now)
        firing.status, firing.reason, firing.message = status, reason, message
        firing.save(update_fields=["status", "reason", "message"])
    subscription.next_fire_at = _next_fire(subscription, subscription.next_fire_at)
    subscription.save(update_fields=["next_fire_at"])
    return status if firing is not None else ""


def _deliver(subscription: AgendaSubscription, day: dt.date, now: dt.datetime) -> tuple[str, str, object]:
    user = subscription.user
    if now - subscription.next_fire_at > dt.timedelta(seconds=settings.REMINDER_GRACE):
        return FiringStatus.MISSED, _("the system was down past the grace window"), None
    if not user.mobile:
        return FiringStatus.SKIPPED, _("no mobile number in your personal data"), None
    tz = occurrences.zone(user.time_zone)
    start = occurrences.to_utc(dt.datetime.combine(day, dt.time.min), tz)
    end = occurrences.to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), tz)
    items = occurrences_between(user=user, since=start, until=end)
    if not items and not subscription.send_empty:
        return FiringStatus.SKIPPED, _("no events that day"), None
    text = agenda_text(user=user, day=day, items=items, max_parts=subscription.max_parts)
    try:
        with transaction.atomic():
            message = message_send(user=user, body=text, to=[user.mobile], with_signature=False)
    except InsufficientCredit as short:
        return (
            FiringStatus.FAILED,
            _("no credit left (%(needed)s needed, %(available)s available)")
            % {"needed": short.needed, "available": short.available},
            None,
        )
    except SendRefused as refused:
        return FiringStatus.FAILED, str(refused)[:300], None
    return FiringStatus.SENT, "", message
