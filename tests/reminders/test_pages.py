"""Calendar pages through Django's client: events, reminders, agenda, log, .ics import and export."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reminders.models import AgendaSubscription, Event, Reminder
from reminders.services.calendars import event_save, reminder_add
from tests.factories import UserFactory
from tests.reminders.conftest import brussels


@pytest.fixture
def client_(client, owner):
    client.force_login(owner)
    return client


def event_form(calendar, **fields):
    data = {
        "calendar": calendar.pk,
        "title": "Team meeting",
        "location": "Room 4",
        "start": "2030-03-04T09:00",
        "end": "2030-03-04T10:00",
        "time_zone": "Europe/Brussels",
        "repeat": "",
        "notes": "",
    }
    data.update(fields)
    return data


def test_create_a_weekly_event_on_chosen_days_and_add_a_reminder(client_, calendar, owner):
    response = client_.post(
        reverse("event_new"), event_form(calendar, repeat="WEEKLY", weekdays=["MO", "WE"], count="10")
    )
    event = Event.objects.get()
    assert response.url == reverse("event_detail", args=[event.pk])
    assert event.rrule == "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"
    assert event.start == brussels(2030, 3, 4, 9, 0)
    client_.post(reverse("event_detail", args=[event.pk]), {"when": "15", "channel": "sms"})
    reminder = Reminder.objects.get()
    assert (reminder.user, reminder.minutes_before, reminder.next_fire_at) == (owner, 15, brussels(2030, 3, 4, 8, 45))
    page = client_.get(reverse("calendar_week"), {"date": "2030-03-06"}).content.decode()
    assert page.count("Team meeting") == 2  # Monday and Wednesday


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"end": "2030-03-04T08:00"}, "must end after it starts"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"start": "tomorrow"}, "Enter a valid date/time"),
        ({"title": ""}, "This field is required"),
    ],
)
def test_bad_events_are_explained_and_nothing_is_saved(client_, calendar, fields, message):
    response = client_.post(reverse("event_new"), event_form(calendar, **fields))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"when": "custom", "minutes": str(10 * 365 * 24 * 60)}, "less than or equal to 43200"),
        ({"when": "custom"}, "Give the number of minutes"),
        ({"when": "fixed"}, "Give the date and time"),
        ({"when": "fixed", "fixed_at": "2030-03-05T08:00"}, "must come before the event"),
    ],
)
def test_bad_reminders_are_explained(client_, calendar, fields, message):
    event = event_save(
        calendar=calendar,
        title="Dentist",
        time_zone="Europe/Brussels",
        start=brussels(2030, 3, 4, 10),
        end=brussels(2030, 3, 4, 11),
    )
    response = client_.post(reverse("event_detail", args=[event.pk]), {"channel": "sms", **fields})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Reminder.objects.exists()


def test_the_pages_open(client_, calendar):
    event = event_save(
        calendar=calendar,
        title="Dentist",
        time_zone="Europe/Brussels",
        start=brussels(2030, 3, 4, 10),
        end=brussels(2030, 3, 4, 11),
    )
    for name in (
        "calendar_upcoming",
        "calendar_day",
        "calendar_month",
        "agenda_settings",
        "reminder_log",
        "calendar_import",
        "calendar_new",
    ):
        assert client_.get(reverse(name)).status_code == 200
    assert "Dentist" in client_.get(reverse("calendar_month"), {"date": "2030-03-01"}).content.decode()
    assert client_.get(reverse("event_edit", args=[event.pk])).status_code == 200
    assert client_.get(reverse("calendar_day"), {"date": "garbage"}).status_code == 200


def test_agenda_settings_are_saved_with_the_next_time(client_, owner):
    client_.post(
        reverse("agenda_settings"),
        {"enabled": "on", "send_time": "07:00", "weekdays": ["1", "2", "3"], "day": "today", "max_parts": "2"},
    )
    subscription = AgendaSubscription.objects.get(user=owner)
    assert subscription.weekdays == "123" and subscription.next_fire_at is not None
    bad = client_.post(
        reverse("agenda_settings"), {"enabled": "on", "send_time": "07:00", "day": "today", "max_parts": "2"}
    )
    assert bad.status_code == 400 and "Choose at least one day" in bad.content.decode()


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:weekly-1@test
DTSTART;TZID=Europe/Brussels:20300304T090000
DTEND;TZID=Europe/Brussels:20300304T100000
RRULE:FREQ=WEEKLY;COUNT=5
EXDATE;TZID=Europe/Brussels:20300311T090000
SUMMARY:Team meeting
LOCATION:Room 4
END:VEVENT
BEGIN:VEVENT
UID:holiday@test
DTSTART;VALUE=DATE:20300501
DTEND;VALUE=DATE:20300502
SUMMARY:Labour day
END:VEVENT
BEGIN:VEVENT
UID:ny@test
DTSTART;TZID=America/New_York:20300305T140000
DURATION:PT30M
SUMMARY:Call with New York
END:VEVENT
END:VCALENDAR
"""


def upload(client, calendar, text, name="cal.ics"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        reverse("calendar_import"), {"calendar": calendar.pk, "file": SimpleUploadedFile(name, data, "text/calendar")}
    )


def test_import_events_all_day_rrule_exdate_and_time_zones(client_, calendar):
    response = upload(client_, calendar, ICS)
    assert response.status_code == 302
    weekly = Event.objects.get(uid="weekly-1@test")
    assert (weekly.rrule, weekly.exdates, weekly.start) == (
        "FREQ=WEEKLY;COUNT=5",
        ["2030-03-11T09:00:00"],
        brussels(2030, 3, 4, 9, 0),
    )
    holiday = Event.objects.get(uid="holiday@test")
    assert holiday.all_day and holiday.end - holiday.start == dt.timedelta(days=1)
    call = Event.objects.get(uid="ny@test")
    assert call.time_zone == "America/New_York" and call.end - call.start == dt.timedelta(minutes=30)


def test_export_then_import_gives_the_same_events(client_, calendar, owner):
    upload(client_, calendar, ICS)
    exported = client_.get(reverse("calendar_export", args=[calendar.pk]))
    assert exported["Content-Type"].startswith("text/calendar")
    before = sorted(Event.objects.values_list("uid", "title", "start", "end", "rrule", "time_zone", "all_day"))
    Event.objects.all().delete()
    assert upload(client_, calendar, exported.content).status_code == 302
    after = sorted(Event.objects.values_list("uid", "title", "start", "end", "rrule", "time_zone", "all_day"))
    assert after == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("this is not a calendar", "not an iCalendar file"),
        (ICS.replace("RRULE:FREQ=WEEKLY;COUNT=5", "RRULE:FREQ=SECONDLY"), "Repeat daily, weekly, monthly or yearly"),
        # An end before the start is no longer refused (issue 22: read as an event of no
        # length, as other readers do); an event without a start still is.
        (ICS.replace("DTSTART;TZID=Europe/Brussels:20300304T090000\n", ""), "it has no start (DTSTART)"),
        (ICS.replace("TZID=America/New_York", "TZID=Mars/Olympus"), "unknown time zone “Mars/Olympus”"),
    ],
)
def test_a_bad_file_is_reported_and_nothing_is_imported(client_, calendar, content, message):
    response = upload(client_, calendar, content)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Event.objects.exists()


def test_a_huge_file_is_refused(client_, calendar, settings):
    settings.CALENDAR_IMPORT_MAX_BYTES = 1000
    response = upload(client_, calendar, ICS + " " * 2000)
    assert response.status_code == 400 and "too large" in response.content.decode()


def test_the_log_says_why_and_links_to_the_fix(client_, calendar, owner):
    import time_machine

    from reminders.services.calendars import reminders_tick

    owner.mobile = ""
    owner.save()
    event = event_save(
        calendar=calendar,
        title="Dentist",
        time_zone="Europe/Brussels",
        start=brussels(2030, 3, 4, 10),
        end=brussels(2030, 3, 4, 11),
        now=brussels(2030, 3, 1),
    )
    reminder_add(event=event, user=owner, minutes_before=15, now=brussels(2030, 3, 1))
    with time_machine.travel(brussels(2030, 3, 4, 9, 45), tick=False):
        reminders_tick(now=brussels(2030, 3, 4, 9, 45))
    page = client_.get(reverse("reminder_log")).content.decode()
    assert "no mobile number in your personal data" in page and reverse("personal_data") in page


def test_exceptions_are_typed_as_dates(client_, calendar):
    client_.post(reverse("event_new"), event_form(calendar, repeat="WEEKLY", skip="2030-03-11\n2030-03-25"))
    event = Event.objects.get()
    assert event.exdates == ["2030-03-11T09:00:00", "2030-03-25T09:00:00"]
    page = client_.get(reverse("calendar_month"), {"date": "2030-03-01"}).content.decode()
    assert page.count("Team meeting") == 2  # Mondays 4 and 18 March; not 11 and 25


def test_an_event_at_the_end_of_time_is_refused(client_, calendar):
    response = client_.post(
        reverse("event_new"), event_form(calendar, start="9999-12-31T09:00", end="9999-12-31T10:00", repeat="DAILY")
    )
    assert response.status_code == 400 and "Give a date between 1900 and 2999" in response.content.decode()
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "model",
    ["calendar", "event", "reminder", "reminderfiring", "agendasubscription", "agendafiring"],
)
def test_calendars_events_and_reminders_are_in_the_admin_read_only(client, owner, calendar, model):
    event = event_save(
        calendar=calendar,
        title="Dentist",
        start=brussels(2026, 12, 3, 9, 0),
        end=brussels(2026, 12, 3, 10, 0),
        time_zone="Europe/Brussels",
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = client.get(reverse(f"admin:reminders_{model}_changelist"))
    assert changelist.status_code == 200
    if model == "event":
        assert "Dentist" in changelist.content.decode()
        page = client.get(reverse("admin:reminders_event_change", args=[event.pk]))
        assert page.status_code == 200 and 'name="title"' not in page.content.decode()  # shown, not edited
    assert client.get(reverse(f"admin:reminders_{model}_add")).status_code == 403


def test_reminders_are_chosen_in_the_new_event_form(client_, calendar, owner):
    page = client_.get(reverse("event_new")).content.decode()
    assert 'name="reminders"' in page and "1 day before" in page
    client_.post(reverse("event_new"), event_form(calendar, reminders=["15", "1440"]))
    event = Event.objects.get()
    reminders = Reminder.objects.filter(event=event, user=owner).order_by("minutes_before")
    assert [(r.minutes_before, r.next_fire_at) for r in reminders] == [
        (15, brussels(2030, 3, 4, 8, 45)),
        (1440, brussels(2030, 3, 3, 9, 0)),
    ]
    assert 'name="reminders"' not in client_.get(reverse("event_edit", args=[event.pk])).content.decode()


def test_a_refused_new_event_keeps_no_reminder(client_, calendar):
    response = client_.post(reverse("event_new"), event_form(calendar, end="2030-03-04T08:00", reminders=["15"]))
    assert response.status_code == 400
    assert not Event.objects.exists() and not Reminder.objects.exists()
