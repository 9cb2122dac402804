"""Fetch a calendar object *and* check the user may touch it: otherwise 404."""

from django.shortcuts import get_object_or_404

from accounts.models import User

from .models import Calendar, Event, Reminder
from .selectors import calendars_visible, events_visible


def access_calendar(user: User, calendar_id: int) -> Calendar:
    return get_object_or_404(calendars_visible(user=user), pk=calendar_id)


def access_event(user: User, event_id: int) -> Event:
    return get_object_or_404(events_visible(user=user).select_related("calendar"), pk=event_id)


def access_reminder(user: User, reminder_id: int) -> Reminder:
    """A reminder is its owner's: colleagues who share the calendar set their own."""
    return get_object_or_404(Reminder.objects.filter(user=user, event__in=events_visible(user=user)), pk=reminder_id)
