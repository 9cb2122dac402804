"""Calendars, events and reminders: every write, and the beat tick that sends reminders.

A reminder has one pending firing at a time (`next_fire_at`, `next_occurrence`).
The tick claims due reminders with SKIP LOCKED, a batch per transaction: it records
their ReminderFirings (unique per reminder and occurrence, so an occurrence fires once
whatever crashes or overlaps), sends through messaging.services.accepting.message_send_batch,
and moves each reminder to its next occurrence, all in that transaction.
"""

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from accounts.models import User
from core.db import bulk_update
from core.metrics import metrics_reminder_lateness
from core.params import EARLIEST, LATEST
from messaging.services.accepting import BatchSend, message_send_batch

from .. import occurrences
from ..models import Calendar, Channel, Event, EventStatus, FiringStatus, Reminder, ReminderFiring
from ..selectors import reminders_still_visible

logger = logging.getLogger("smsoffice.reminders")
MAX_MINUTES_BEFORE = 30 * 24 * 60  # a reminder at most 30 days before
MAX_EVENT_DAYS = 366
REMINDER_TEXT_LIMIT = 150  # keeps a reminder in one GSM part


class EventError(ValueError):
    """Refused calendar input; `field` names the form field, `str(error)` says why."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def calendar_create(*, name: str, owner: User | None = None, group=None) -> Calendar:
    calendar = Calendar(name=name, owner=owner if group is None else None, group=group)
    calendar.full_clean()
    calendar.save()
    return calendar


def event_save(
    *,
    calendar: Calendar,
    title: str,
    start: dt.datetime,
    end: dt.datetime,
    time_zone: str,
    all_day: bool = False,
    location: str = "",
    notes: str = "",
    rrule: str = "",
    exdates: list[str] | tuple[str, ...] = (),
    uid: str = "",
    event: Event | None = None,
    now: dt.datetime | None = None,
    budget: occurrences.Budget | None = None,
    zero_length_ok: bool = False,
) -> Event:
    """Create or change an event (times aware); its pending reminders follow the change.

    `budget` bounds the work of checking the rule across calls (an import's events).
    `zero_length_ok` lets the end equal the start: imported files hold such events
    (Google writes them); the event form asks for an end after the start.
    """
    now = now or timezone.now()
    try:
        tz = occurrences.zone(time_zone)
    except occurrences.RecurrenceError as error:
        raise EventError(str(error), "time_zone") from error
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise EventError(_("Give the start and end with their time zone."), "start")
    if end < start or (end == start and not zero_length_ok):
        raise EventError(_("The event must end after it starts."), "end")
    if not EARLIEST.year <= start.year <= end.year <= LATEST.year:
        raise EventError(
            _("Give a date between %(first)s and %(last)s.") % {"first": EARLIEST.year, "last": LATEST.year}, "start"
        )
    if end - start > dt.timedelta(days=MAX_EVENT_DAYS):
        raise EventError(_("An event lasts at most a year; use a repetition instead."), "end")
    try:
        rule = occurrences.check_rule(
            rrule, start.astimezone(tz).replace(tzinfo=None), time_zone=time_zone, budget=budget
        )
    except occurrences.RecurrenceError as error:
        raise EventError(str(error), "rrule") from error
    with transaction.atomic():
        event = event or Event()
        event.calendar, event.title, event.location, event.notes = calendar, title, location, notes
        event.time_zone, event.all_day, event.rrule = time_zone, all_day, rule
        event.start, event.end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        event.exdates = sorted({value for value in exdates})
        event.uid = uid or event.uid
        event.series_end = _series_end(event, budget)
        event.full_clean()
        event.save()
        for reminder in event.reminders.all():
            _schedule(reminder, now)
            reminder.save(update_fields=["next_fire_at", "next_occurrence"])
    return event


def event_cancel(*, event: Event) -> Event:
    """A canceled event keeps its place in the calendar; its reminders stop."""
    with transaction.atomic():
        event.status = EventStatus.CANCELED
        event.save(update_fields=["status"])
        event.reminders.update(next_fire_at=None, next_occurrence=None)
    return event


def event_create_with_reminders(*, user: User, reminders_minutes_before: list[int], **event_fields) -> Event:
    """A new event and `user`'s reminders for it (minutes before each occurrence), all or nothing.

    The New event form offers reminders: a refused reminder leaves no event behind either.
    `event_fields` are event_save's.
    """
    with transaction.atomic():
        event = event_save(**event_fields)
        for minutes in sorted(set(reminders_minutes_before)):
            reminder_add(event=event, user=user, minutes_before=minutes)
    return event


def event_delete(*, event: Event) -> None:
    event.delete()


def reminder_add(
    *,
    event: Event,
    user: User,
    minutes_before: int | None = None,
    fixed_at: dt.datetime | None = None,
    channel: str = Channel.SMS,
    now: dt.datetime | None = None,
) -> Reminder:
    """Remind `user` before each occurrence (or once at `fixed_at`, for a single event)."""
    if (minutes_before is None) == (fixed_at is None):
        raise EventError(_("Choose a time before the event, or a fixed date and time."), "minutes_before")
    if minutes_before is not None and not 0 <= minutes_before <= MAX_MINUTES_BEFORE:
        raise EventError(_("A reminder comes at most 30 days before the event."), "minutes_before")
    if fixed_at is not None:
        if event.rrule:
            raise EventError(
                _("A repeating event takes reminders before each occurrence, not at a fixed time."), "fixed_at"
            )
        if timezone.is_naive(fixed_at) or not dt.timedelta(0) <= event.start - fixed_at <= dt.timedelta(days=30):
            raise EventError(_("The reminder must come before the event, at most 30 days before."), "fixed_at")
    if channel not in Channel.values:
        raise EventError(_("Choose SMS or email."), "channel")
    reminder = Reminder(event=event, user=user, minutes_before=minutes_before, fixed_at=fixed_at, channel=channel)
    _schedule(reminder, now or timezone.now())
    reminder.full_clean()
    reminder.save()
    return reminder


def reminder_delete(*, reminder: Reminder) -> None:
    reminder.delete()


def reminders_tick(*, now: dt.datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Fire every due reminder; what beat runs every 15 seconds.

    Due reminders are claimed `batch` at a time with SKIP LOCKED (overlapping ticks or
    several workers take different ones) and handled in one transaction: their firings
    are written first (unique per reminder and occurrence), their SMS are accepted in
    bulk through messaging.services.accepting.message_send_batch, and each reminder moves on to
    its next occurrence. A crash rolls the whole batch back, sends included, so the
    next tick does it again, once.
    """
    now = now or timezone.now()
    counts = {status: 0 for status in FiringStatus.values}
    while True:
        with transaction.atomic():
            due = list(
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event", "user")
                .filter(next_fire_at__lte=now)
                .order_by("next_fire_at")[:batch]
            )
            for status in _fire_batch(due, now):
                counts[status] += 1
        if len(due) < batch:
            return counts


# Internals --------------------------------------------------------------------------


def _series_end(event: Event, budget: occurrences.Budget | None = None) -> dt.datetime | None:
    if not event.rrule:
        return event.end
    if "COUNT=" not in event.rrule and "UNTIL=" not in event.rrule:
        return None
    last = occurrences.last_local_start(
        first_start=event.start, time_zone=event.time_zone, rule=event.rrule, budget=budget
    )
    if last is None:
        return event.end
    return max(occurrences.to_utc(last, occurrences.zone(event.time_zone)), event.start) + event.duration


def _next_occurrence(event: Event, after: dt.datetime) -> dt.datetime | None:
    if event.status == EventStatus.CANCELED:
        return None
    return occurrences.next_start(
        first_start=event.start, time_zone=event.time_zone, rule=event.rrule, exdates=event.excluded, after=after
    )


def _schedule(reminder: Reminder, now: dt.datetime) -> None:
    """The next firing from now on: for the next occurrence that has not started yet.

    A reminder whose time has just passed for an occurrence still to come fires at once.
    """
    event = reminder.event
    if reminder.fixed_at is not None:
        upcoming = event.status != EventStatus.CANCELED and event.start > now
        reminder.next_occurrence = event.start if upcoming else None
        reminder.next_fire_at = max(reminder.fixed_at, now) if upcoming else None
        return
    occurrence = _next_occurrence(event, now)
    reminder.next_occurrence = occurrence
    reminder.next_fire_at = max(occurrence - dt.timedelta(minutes=reminder.minutes_before), now) if occurrence else None


def _move_on(reminder: Reminder) -> None:
    """After the firing for `next_occurrence`: the same offset before the following one (not saved)."""
    if reminder.fixed_at is not None:
        reminder.next_occurrence = reminder.next_fire_at = None
    else:
        occurrence = _next_occurrence(reminder.event, reminder.next_occurrence)
        reminder.next_occurrence = occurrence
        reminder.next_fire_at = occurrence - dt.timedelta(minutes=reminder.minutes_before) if occurrence else None


def _fire_batch(due: list[Reminder], now: dt.datetime) -> list[str]:
    """Record and send the firings of `due` (locked); returns the status of each new firing."""
    if not due:
        return []
    done = set(ReminderFiring.objects.filter(reminder__in=due).values_list("reminder_id", "occurrence"))
    allowed = reminders_still_visible(reminders=due)
    firings = []
    for reminder in due:
        if (reminder.pk, reminder.next_occurrence) in done:
            continue  # this occurrence fired already: only move on
        status, reason = _decide(reminder, now, may_see=reminder.pk in allowed)
        firings.append(
            ReminderFiring(reminder=reminder, occurrence=reminder.next_occurrence, status=status, reason=reason)
        )
    ReminderFiring.objects.bulk_create(firings)
    _deliver(firings, now)
    metrics_reminder_lateness(
        [(now - f.reminder.next_fire_at).total_seconds() for f in firings if f.status == FiringStatus.SENT]
    )
    bulk_update(firings, ["status", "reason", "message"])
    for reminder in due:
        _move_on(reminder)
    bulk_update(due, ["next_fire_at", "next_occurrence"])
    return [firing.status for firing in firings]


def _decide(reminder: Reminder, now: dt.datetime, *, may_see: bool) -> tuple[str, str]:
    """SENT when the reminder should go out now, else the status and reason to log."""
    event, user = reminder.event, reminder.user
    if not may_see:
        # Checked at firing time, not when the reminder was set: someone removed from the
        # group must not get (and pay for) the event's current, perhaps renamed, title.
        # The reminder still moves on, so it resumes if they are added back.
        return FiringStatus.SKIPPED, _("you no longer have access to this event")
    if event.status == EventStatus.CANCELED:
        return FiringStatus.SKIPPED, _("the event was canceled")
    if reminder.next_occurrence + event.duration <= now:
        return FiringStatus.SKIPPED, _("the event is already over")
    if now - reminder.next_fire_at > dt.timedelta(seconds=settings.REMINDER_GRACE):
        return FiringStatus.MISSED, _("the system was down past the grace window")
    if reminder.channel == Channel.SMS and not user.mobile:
        return FiringStatus.SKIPPED, _("no mobile number in your personal data")
    if reminder.channel == Channel.EMAIL and not user.email:
        return FiringStatus.SKIPPED, _("no email address in your personal data")
    return FiringStatus.SENT, ""


def _deliver(firings: list[ReminderFiring], now: dt.datetime) -> None:
    """Send the firings that should go out: SMS in one batch, emails one by one."""
    sms = []
    for firing in firings:
        if firing.status != FiringStatus.SENT:
            continue
        reminder = firing.reminder
        if reminder.channel == Channel.EMAIL:
            text = reminder_text(reminder)
            try:
                send_mail(subject=text[:78], message=text, from_email=None, recipient_list=[reminder.user.email])
            except (smtplib.SMTPException, OSError) as error:
                # Logged, not raised: a raise would roll back the batch and retry it for ever.
                firing.status, firing.reason = (
                    FiringStatus.FAILED,
                    _("email not sent: %(error)s") % {"error": str(error)[:200]},
                )
        else:
            sms.append(
                BatchSend(key=str(firing.pk), user=reminder.user, to=reminder.user.mobile, body=reminder_text(reminder))
            )
    outcomes = message_send_batch(sends=sms, now=now) if sms else {}
    for firing in firings:
        outcome = outcomes.get(str(firing.pk))
        if isinstance(outcome, str):
            firing.status, firing.reason = FiringStatus.FAILED, outcome[:300]
        elif outcome is not None:
            firing.message = outcome


def reminder_text(reminder: Reminder) -> str:
    """ "Reminder: Board meeting, Tue 3 Mar 09:00, Room 4" in the recipient's time zone and language."""
    user, event = reminder.user, reminder.event
    with override(user.language), timezone.override(occurrences.zone(user.time_zone)):
        when = timezone.localtime(reminder.next_occurrence)
        if event.all_day:
            shown = date_format(when, "D j M")
        else:
            shown = f"{date_format(when, 'D j M')} {date_format(when, 'H:i')}"
        text = _("Reminder: %(title)s, %(when)s") % {"title": event.title, "when": shown}
        if event.location:
            text += f", {event.location}"
    return text if len(text) <= REMINDER_TEXT_LIMIT else text[: REMINDER_TEXT_LIMIT - 1] + "…"


@dataclass
class CalendarImportReport:
    imported: int
    left_out: list[str]  # what the file holds that never happens, for the user


def calendar_import(
    *, calendar: Calendar, text: str, default_zone: str, now: dt.datetime | None = None
) -> CalendarImportReport:
    """Import an .ics file's events into `calendar`: all of them, or none (EventError says which).

    Capped at what a request does in about 3 s (measured in docs/architecture.md):
    CALENDAR_IMPORT_MAX_EVENTS events, and CALENDAR_IMPORT_MAX_STEPS steps of rule
    expansion shared by all of them. A bigger file is refused before anything is written.
    A cancelled event is kept, cancelled (no reminders); one that never happens (a rule
    that ends before its start) is left out and named in the report.
    """
    from ..ical import IcsError, read_events

    now = now or timezone.now()
    limit = settings.CALENDAR_IMPORT_MAX_EVENTS
    # Counted before parsing too: parsing 80,000 events is itself most of the 30 s.
    roughly = text.upper().count("BEGIN:VEVENT")
    if roughly > limit:
        raise _too_many_events(roughly, limit)
    try:
        contents = read_events(text, default_zone=default_zone, today=now.date())
    except IcsError as error:
        raise EventError(str(error), "file") from error
    imported = contents.events
    if len(imported) > limit:
        raise _too_many_events(len(imported), limit)
    budget = occurrences.Budget(settings.CALENDAR_IMPORT_MAX_STEPS)
    with transaction.atomic():
        for number, item in enumerate(imported, start=1):
            try:
                event = event_save(
                    calendar=calendar,
                    title=item.title,
                    start=item.start,
                    end=item.end,
                    time_zone=item.time_zone,
                    all_day=item.all_day,
                    location=item.location,
                    notes=item.notes,
                    rrule=item.rrule,
                    exdates=item.exdates,
                    uid=item.uid,
                    now=now,
                    budget=budget,
                    zero_length_ok=True,
                )
            except EventError as error:
                raise EventError(
                    _("Event %(number)s (“%(title)s”): %(error)s Nothing was imported.")
                    % {"number": number, "title": item.title[:60], "error": str(error).rstrip(".") + "."},
                    "file",
                ) from error
            if item.canceled:
                event_cancel(event=event)
    return CalendarImportReport(imported=len(imported), left_out=contents.left_out)


def _too_many_events(count: int, limit: int) -> EventError:
    return EventError(
        ngettext(
            "This file holds %(count)s event; one import takes at most %(max)s: split the file into smaller ones "
            "and import them one after the other. Nothing was imported.",
            "This file holds %(count)s events; one import takes at most %(max)s: split the file into smaller ones "
            "and import them one after the other. Nothing was imported.",
            count,
        )
        % {"count": count, "max": limit},
        "file",
    )
