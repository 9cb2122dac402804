"""Reads: what a user's calendars hold in a window of time."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.selectors import visible_scope

from . import occurrences
from .models import Calendar, Event, EventStatus, ReminderFiring

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


def reminder_log(*, user: User) -> QuerySet[ReminderFiring]:
    return (
        ReminderFiring.objects.filter(reminder__user=user)
        .select_related("reminder__event", "message")
        .prefetch_related("message__recipients")
        .order_by("-fired_at", "-id")
    )
