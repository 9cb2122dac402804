"""Reminders fire once per occurrence, on time in local time, across DST; late ones are missed."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.db import DatabaseError

from messaging.models import Message
from reminders.models import FiringStatus, ReminderFiring
from reminders.services.calendars import EventError, event_cancel, event_save, reminder_add, reminders_tick
from tests.reminders.conftest import BRUSSELS, brussels


def weekly_meeting(calendar, **changes):
    fields = {
        "calendar": calendar,
        "title": "Team meeting",
        "location": "Room 4",
        "time_zone": "Europe/Brussels",
        "start": brussels(2026, 3, 23, 9, 0),
        "end": brussels(2026, 3, 23, 10, 0),
        "rrule": "FREQ=WEEKLY",
        "now": brussels(2026, 3, 20, 12, 0),
    }
    return event_save(**{**fields, **changes})


def tick_at(moment):
    with time_machine.travel(moment, tick=False):
        return reminders_tick(now=moment)


def test_a_weekly_0900_event_keeps_its_0845_reminder_across_the_dst_change(calendar, owner):
    event = weekly_meeting(calendar)
    reminder = reminder_add(event=event, user=owner, minutes_before=15, now=brussels(2026, 3, 20, 12, 0))
    assert reminder.next_fire_at == brussels(2026, 3, 23, 8, 45)

    assert tick_at(brussels(2026, 3, 23, 8, 44))["sent"] == 0
    assert tick_at(brussels(2026, 3, 23, 8, 45))["sent"] == 1
    reminder.refresh_from_db()
    # Clocks went forward on 29 March: still 08:45 local, one hour earlier in UTC.
    assert reminder.next_fire_at.astimezone(BRUSSELS) == brussels(2026, 3, 30, 8, 45)
    assert reminder.next_fire_at.utcoffset() == dt.timedelta(0)
    assert tick_at(brussels(2026, 3, 30, 8, 45))["sent"] == 1
    texts = [message.body for message in Message.objects.order_by("id")]
    assert texts == [
        "Reminder: Team meeting, Mon 23 Mar 09:00, Room 4",
        "Reminder: Team meeting, Mon 30 Mar 09:00, Room 4",
    ]


def test_a_tick_found_late_marks_the_occurrence_missed_and_goes_on(calendar, owner):
    reminder = reminder_add(
        event=weekly_meeting(calendar), user=owner, minutes_before=15, now=brussels(2026, 3, 20, 12, 0)
    )
    assert tick_at(brussels(2026, 3, 23, 9, 5))["missed"] == 1  # 20 minutes late: grace is 15
    firing = ReminderFiring.objects.get()
    assert (firing.status, firing.reason) == (FiringStatus.MISSED, "the system was down past the grace window")
    assert not Message.objects.exists()
    reminder.refresh_from_db()
    assert reminder.next_fire_at == brussels(2026, 3, 30, 8, 45)


def test_each_occurrence_fires_once_however_often_the_tick_runs(calendar, owner):
    reminder_add(event=weekly_meeting(calendar), user=owner, minutes_before=15, now=brussels(2026, 3, 20, 12, 0))
    for minute in range(45, 60):
        tick_at(brussels(2026, 3, 23, 8, minute))
    assert ReminderFiring.objects.count() == 1 and Message.objects.count() == 1


def test_a_tick_that_crashes_rolls_back_and_the_retry_sends_once(calendar, owner):
    reminder_add(event=weekly_meeting(calendar), user=owner, minutes_before=15, now=brussels(2026, 3, 20, 12, 0))
    moment = brussels(2026, 3, 23, 8, 46)
    with (
        mock.patch("reminders.services.calendars._move_on", side_effect=DatabaseError("worker lost")),
        pytest.raises(DatabaseError),
    ):
        tick_at(moment)
    assert not ReminderFiring.objects.exists() and not Message.objects.exists()
    assert tick_at(moment)["sent"] == 1
    assert Message.objects.count() == 1


def test_without_a_mobile_number_the_log_says_why(calendar, owner):
    owner.mobile = ""
    owner.save()
    reminder_add(event=weekly_meeting(calendar), user=owner, minutes_before=15, now=brussels(2026, 3, 20, 12, 0))
    tick_at(brussels(2026, 3, 23, 8, 45))
    assert ReminderFiring.objects.get().reason == "no mobile number in your personal data"


def test_without_credit_the_log_says_why(calendar, owner):
    from credits.models import CreditAccount

    CreditAccount.objects.filter(user=owner).update(monthly_remaining=0)
    reminder_add(event=weekly_meeting(calendar), user=owner, minutes_before=15, now=brussels(2026, 3, 20, 12, 0))
    tick_at(brussels(2026, 3, 23, 8, 45))
    firing = ReminderFiring.objects.get()
    assert firing.status == FiringStatus.FAILED and firing.reason.startswith("no credit left (1 needed, 0 available)")


def test_moving_an_event_moves_its_reminder_and_canceling_stops_it(calendar, owner):
    event = weekly_meeting(calendar)
    reminder = reminder_add(event=event, user=owner, minutes_before=60, now=brussels(2026, 3, 20, 12, 0))
    weekly_meeting(calendar, event=event, start=brussels(2026, 3, 24, 14, 0), end=brussels(2026, 3, 24, 15, 0))
    reminder.refresh_from_db()
    assert reminder.next_fire_at == brussels(2026, 3, 24, 13, 0)
    event_cancel(event=event)
    reminder.refresh_from_db()
    assert reminder.next_fire_at is None
    assert tick_at(brussels(2026, 3, 24, 13, 0))["sent"] == 0


def test_an_excluded_occurrence_is_skipped(calendar, owner):
    event = weekly_meeting(calendar, exdates=["2026-03-23T09:00:00"])
    reminder = reminder_add(event=event, user=owner, minutes_before=15, now=brussels(2026, 3, 20, 12, 0))
    assert reminder.next_fire_at == brussels(2026, 3, 30, 8, 45)


def test_a_fixed_time_reminder_fires_once(calendar, owner):
    event = event_save(
        calendar=calendar,
        title="Dentist",
        time_zone="Europe/Brussels",
        start=brussels(2026, 5, 4, 10),
        end=brussels(2026, 5, 4, 11),
        now=brussels(2026, 5, 1, 9),
    )
    reminder_add(event=event, user=owner, fixed_at=brussels(2026, 5, 3, 18), now=brussels(2026, 5, 1, 9))
    assert tick_at(brussels(2026, 5, 3, 18, 0))["sent"] == 1
    assert tick_at(brussels(2026, 5, 4, 9, 50))["sent"] == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end": brussels(2026, 3, 23, 8, 0)}, "end", "must end after it starts"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone"),
        ({"rrule": "FREQ=DAILY;COUNT=99999999"}, "rrule", "at most 5000 times"),
        ({"end": brussels(2028, 3, 23, 8, 0)}, "end", "at most a year"),
    ],
)
def test_bad_events_are_refused_with_the_field(calendar, changes, field, message):
    with pytest.raises(EventError, match=message) as error:
        weekly_meeting(calendar, **changes)
    assert error.value.field == field


def test_a_reminder_10_years_before_is_refused(calendar, owner):
    with pytest.raises(EventError, match="at most 30 days before"):
        reminder_add(event=weekly_meeting(calendar), user=owner, minutes_before=10 * 365 * 24 * 60)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_send_each_occurrence_once(calendar, owner):
    from tests.threads import run_together

    for number in range(20):
        reminder_add(
            event=weekly_meeting(calendar, title=f"Meeting {number}"),
            user=owner,
            minutes_before=15,
            now=brussels(2026, 3, 20, 12, 0),
        )
    moment = brussels(2026, 3, 23, 8, 46)
    # Dispatch is not what this test is about, and Celery's eager mode keeps global state
    # that threads running eager tasks at once leave wrong: hand nothing to workers here.
    with time_machine.travel(moment, tick=False), mock.patch("messaging.services.accepting._enqueue_send"):
        results = run_together(4, lambda i: reminders_tick(now=moment))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["sent"] for r in results) == 20
    assert ReminderFiring.objects.count() == 20 and Message.objects.count() == 20


def test_an_email_reminder_is_mailed(calendar, owner, mailoutbox):
    reminder_add(
        event=weekly_meeting(calendar), user=owner, minutes_before=60, channel="email", now=brussels(2026, 3, 20, 12, 0)
    )
    assert tick_at(brussels(2026, 3, 23, 8, 0))["sent"] == 1
    assert [m.to for m in mailoutbox] == [[owner.email]]
    assert mailoutbox[0].body == "Reminder: Team meeting, Mon 23 Mar 09:00, Room 4"
    assert not Message.objects.exists()  # no SMS, no credit spent


def test_reminder_lateness_is_measured_for_metrics(calendar, owner, client, django_capture_on_commit_callbacks):
    cache.clear()
    reminder_add(event=weekly_meeting(calendar), user=owner, minutes_before=15, now=brussels(2026, 3, 20, 12, 0))
    with django_capture_on_commit_callbacks(execute=True):
        tick_at(brussels(2026, 3, 23, 8, 45, 40))  # 40 seconds after 08:45
    body = client.get("/metrics").content.decode()
    assert 'smsoffice_reminder_lateness_seconds_bucket{le="30.0"} 0.0' in body
    assert 'smsoffice_reminder_lateness_seconds_bucket{le="60.0"} 1.0' in body
    assert "smsoffice_reminder_lateness_seconds_sum 40.0" in body
    cache.clear()
