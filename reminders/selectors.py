"""Reads: what a user's calendars hold in a window of time."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.selectors import visible_scope

from . import occurrences
from .models import AgendaSubscription, Calendar, Event, EventStatus, Reminder, ReminderFiring

MAX_OCCURRENCES = 2_000  # per window: a month view of daily events in many calendars stays bounded


@dataclass(frozen=True)
class Occurrence:
    event: Event
    start: dt.datetime
    end: dt.datetime


def calendars_visible(*, user: User) -> QuerySet[Calendar]:
    return Calendar.objects.filter(visible_scope(user)).select_related("group")


def events_visible(*, user: User) -> QuerySet[Event]:
    return Event.objects.filter(calendar__in=calendars_visible(user=user))


def occurrences_between(*, user: User, since: dt.datetime, until: dt.datetime) -> list[Occurrence]:
    """Every occurrence overlapping [since, until) in the user's calendars, in order."""
    events = (
        events_visible(user=user)
        .filter(status=EventStatus.CONFIRMED, start__lt=until)
        .filter(Q(series_end__isnull=True) | Q(series_end__gt=since))
        .select_related("calendar")
    )
    found: list[Occurrence] = []
    for event in events:
        duration = event.duration
        for start in occurrences.between(
            first_start=event.start,
            time_zone=event.time_zone,
            rule=event.rrule,
            exdates=event.excluded,
            since=since - duration,
            until=until,
            limit=MAX_OCCURRENCES,
        ):
            if start + duration > since:
                found.append(Occurrence(event, start, start + duration))
    found.sort(key=lambda occurrence: (occurrence.start, occurrence.event.title))
    return found[:MAX_OCCURRENCES]


def reminders_next(*, user: User, limit: int = 5) -> list[Reminder]:
    """The user's next reminders to fire, soonest first, on events the user still sees (home page)."""
    return list(
        Reminder.objects.filter(user=user, next_fire_at__isnull=False, event__in=events_visible(user=user))
        .select_related("event")
        .order_by("next_fire_at", "id")[:limit]
    )


def agenda_enabled(*, user: User) -> AgendaSubscription | None:
    """The user's agenda by SMS when it is on (home page), else None."""
    return AgendaSubscription.objects.filter(user=user, enabled=True).first()


def reminders_still_visible(*, reminders: list[Reminder]) -> set[int]:
    """The ids of `reminders` whose user may still see the event (one query for the batch).

    The same rule as events_visible: the user owns the calendar or is in its group now.
    """
    if not reminders:
        return set()
    return set(
        Reminder.objects.filter(pk__in=[reminder.pk for reminder in reminders])
        .filter(
            Q(event__calendar__owner_id=F("user_id"))
            | Q(event__calendar__group__in=Group.objects.filter(user=OuterRef("user_id")).values("pk"))
        )
        .values_list("pk", flat=True)
    )


def reminder_log(*, user: User) -> QuerySet[ReminderFiring]:
    """The user's firings; `event_visible` is False for events they can no longer see,
    whose (perhaps renamed) title the log must not show."""
    return (
        ReminderFiring.objects.filter(reminder__user=user)
        .annotate(event_visible=Exists(events_visible(user=user).filter(pk=OuterRef("reminder__event_id"))))
        .select_related("reminder__event", "message")
        .prefetch_related("message__recipients")
        .order_by("-fired_at", "-id")
    )
