"""A reminder or agenda goes only to someone who may still see the event when it fires."""

import time_machine
from django.urls import reverse

from credits.models import CreditAccount, LedgerEntry
from messaging.models import Message
from reminders import tasks
from reminders.models import AgendaFiring, FiringStatus, Reminder, ReminderFiring
from reminders.services.agenda import agenda_settings_save
from reminders.services.calendars import calendar_create, event_save, reminder_add
from tests.factories import GroupFactory
from tests.reminders.conftest import brussels


def board_meeting(calendar, **changes):
    fields = {
        "calendar": calendar,
        "title": "Board meeting",
        "time_zone": "Europe/Brussels",
        "start": brussels(2030, 3, 4, 9, 0),
        "end": brussels(2030, 3, 4, 10, 0),
        "rrule": "FREQ=WEEKLY",
        "now": brussels(2030, 3, 1, 12, 0),
    }
    return event_save(**{**fields, **changes})


def tick_task_at(moment):
    """The beat task itself, as the worker runs it, at `moment`."""
    with time_machine.travel(moment, tick=False):
        return tasks.tick()


def test_a_former_group_members_reminder_is_skipped_and_nothing_is_charged(owner, client):
    team = GroupFactory(name="Board")
    owner.groups.add(team)
    event = board_meeting(calendar_create(name="Board", group=team))
    reminder_add(event=event, user=owner, minutes_before=15, now=brussels(2030, 3, 1, 12, 0))
    owner.groups.remove(team)
    board_meeting(event.calendar, event=event, title="Merger with ACME (confidential)")
    credit_before = CreditAccount.objects.get(user=owner).monthly_remaining
    ledger_before = LedgerEntry.objects.count()

    counts = tick_task_at(brussels(2030, 3, 4, 8, 45))

    assert counts["reminders"]["sent"] == 0 and counts["reminders"]["skipped"] == 1
    assert not Message.objects.exists()
    assert CreditAccount.objects.get(user=owner).monthly_remaining == credit_before
    assert LedgerEntry.objects.count() == ledger_before
    firing = ReminderFiring.objects.get()
    assert (firing.status, firing.reason) == (FiringStatus.SKIPPED, "you no longer have access to this event")
    # The log says why, without showing the event's new title to someone who left the group.
    client.force_login(owner)
    page = client.get(reverse("reminder_log")).content.decode()
    assert "you no longer have access to this event" in page
    assert "Merger" not in page


def test_a_former_members_email_reminder_is_not_mailed(owner, mailoutbox):
    team = GroupFactory(name="Board")
    owner.groups.add(team)
    event = board_meeting(calendar_create(name="Board", group=team))
    reminder_add(event=event, user=owner, minutes_before=15, channel="email", now=brussels(2030, 3, 1, 12, 0))
    owner.groups.remove(team)
    tick_task_at(brussels(2030, 3, 4, 8, 45))
    assert mailoutbox == []
    assert ReminderFiring.objects.get().status == FiringStatus.SKIPPED


def test_a_member_who_is_added_back_gets_the_next_occurrence(owner):
    team = GroupFactory(name="Board")
    owner.groups.add(team)
    event = board_meeting(calendar_create(name="Board", group=team))
    reminder = reminder_add(event=event, user=owner, minutes_before=15, now=brussels(2030, 3, 1, 12, 0))
    owner.groups.remove(team)
    tick_task_at(brussels(2030, 3, 4, 8, 45))
    owner.groups.add(team)
    reminder.refresh_from_db()
    assert reminder.next_fire_at == brussels(2030, 3, 11, 8, 45)
    assert tick_task_at(brussels(2030, 3, 11, 8, 45))["reminders"]["sent"] == 1
    assert Message.objects.get().body == "Reminder: Board meeting, Mon 11 Mar 09:00"
    assert Reminder.objects.count() == 1


def test_a_former_members_agenda_leaves_the_event_out(owner):
    team = GroupFactory(name="Board")
    owner.groups.add(team)
    board_meeting(calendar_create(name="Board", group=team))
    agenda_settings_save(
        user=owner,
        enabled=True,
        send_time=brussels(2030, 3, 4, 7).time(),
        weekdays="1234567",
        day="today",
        max_parts=2,
        send_empty=False,
        now=brussels(2030, 3, 1, 12, 0),
    )
    owner.groups.remove(team)
    tick_task_at(brussels(2030, 3, 4, 7, 0))
    assert not Message.objects.exists()
    assert AgendaFiring.objects.get(day=brussels(2030, 3, 4).date()).reason == "no events that day"
