"""The agenda by SMS: at 07:00 local in both seasons, cut cleanly, nothing on empty days."""

import datetime as dt

import time_machine

from messaging.models import Message
from reminders.models import AgendaFiring, FiringStatus
from reminders.selectors import occurrences_between
from reminders.services.agenda import agenda_settings_save, agenda_text, agenda_tick
from reminders.services.calendars import event_save
from tests.reminders.conftest import brussels


def tick_at(moment):
    with time_machine.travel(moment, tick=False):
        return agenda_tick(now=moment)


def subscribe(owner, now, **changes):
    fields = {
        "user": owner,
        "enabled": True,
        "send_time": dt.time(7, 0),
        "weekdays": "1234567",
        "day": "today",
        "max_parts": 2,
        "send_empty": False,
        "now": now,
    }
    return agenda_settings_save(**{**fields, **changes})


def test_the_agenda_at_0700_local_fires_at_0700_local_in_winter_and_summer(owner, calendar):
    event_save(
        calendar=calendar,
        title="Stand-up",
        location="Room 4",
        time_zone="Europe/Brussels",
        start=brussels(2026, 3, 20, 9, 30),
        end=brussels(2026, 3, 20, 9, 45),
        rrule="FREQ=DAILY",
        now=brussels(2026, 3, 20, 0),
    )
    subscription = subscribe(owner, brussels(2026, 3, 27, 12, 0))
    assert subscription.next_fire_at == brussels(2026, 3, 28, 7, 0)
    assert subscription.next_fire_at.astimezone(dt.UTC).hour == 6  # winter: UTC+1
    tick_at(brussels(2026, 3, 28, 7, 0))
    subscription.refresh_from_db()
    assert subscription.next_fire_at == brussels(2026, 3, 29, 7, 0)
    assert subscription.next_fire_at.astimezone(dt.UTC).hour == 5  # summer: UTC+2
    tick_at(brussels(2026, 3, 29, 7, 0))
    bodies = [m.body for m in Message.objects.order_by("id")]
    assert bodies == ["Agenda Sat 28 Mar:\n09:30 Stand-up (Room 4)", "Agenda Sun 29 Mar:\n09:30 Stand-up (Room 4)"]


def test_nothing_is_sent_on_a_day_without_events_unless_asked(owner, calendar):
    subscribe(owner, brussels(2026, 5, 1, 12, 0))
    tick_at(brussels(2026, 5, 2, 7, 0))
    assert not Message.objects.exists()
    assert AgendaFiring.objects.get().reason == "no events that day"
    subscribe(owner, brussels(2026, 5, 2, 12, 0), send_empty=True)
    tick_at(brussels(2026, 5, 3, 7, 0))
    assert Message.objects.get().body == "Agenda Sun 3 May: no events."


def test_tomorrow_and_weekdays_only(owner, calendar):
    event_save(
        calendar=calendar,
        title="Dentist",
        time_zone="Europe/Brussels",
        start=brussels(2026, 5, 5, 10),
        end=brussels(2026, 5, 5, 11),
        now=brussels(2026, 5, 1),
    )
    subscription = subscribe(owner, brussels(2026, 5, 1, 12), day="tomorrow", weekdays="12345")
    assert subscription.next_fire_at == brussels(2026, 5, 4, 7, 0)  # Friday noon -> Monday
    tick_at(brussels(2026, 5, 4, 7, 0))
    assert Message.objects.get().body == "Agenda Tue 5 May:\n10:00 Dentist"


def test_a_long_agenda_is_cut_cleanly_with_a_count(owner, calendar):
    for hour in range(8, 20):
        event_save(
            calendar=calendar,
            title=f"Meeting about the quarterly planning number {hour}",
            time_zone="Europe/Brussels",
            start=brussels(2026, 5, 5, hour),
            end=brussels(2026, 5, 5, hour, 30),
            now=brussels(2026, 5, 1),
        )
    items = occurrences_between(user=owner, since=brussels(2026, 5, 5), until=brussels(2026, 5, 6))
    text = agenda_text(user=owner, day=dt.date(2026, 5, 5), items=items, max_parts=2)
    assert text.endswith("more") and text.count("Meeting about") < 12
    from messaging.segments import count

    assert count(text).segments <= 2
    shown = text.count("Meeting about")
    assert f"+{12 - shown} more" in text


def test_the_same_day_is_never_sent_twice(owner, calendar):
    event_save(
        calendar=calendar,
        title="Stand-up",
        time_zone="Europe/Brussels",
        start=brussels(2026, 5, 5, 9),
        end=brussels(2026, 5, 5, 10),
        now=brussels(2026, 5, 1),
    )
    subscription = subscribe(owner, brussels(2026, 5, 4, 12))
    tick_at(brussels(2026, 5, 5, 7, 0))
    subscription.refresh_from_db()
    subscription.next_fire_at = brussels(2026, 5, 5, 7, 0)  # as if a crashed tick had not advanced it
    subscription.save()
    tick_at(brussels(2026, 5, 5, 7, 1))
    assert Message.objects.count() == 1
    assert AgendaFiring.objects.get().status == FiringStatus.SENT
