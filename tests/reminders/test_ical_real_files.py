"""Calendar files as Outlook, Exchange, Google, Thunderbird and Zimbra write them (issue 22).

Each file is small and written for the project after a case of the corpus
(bench/imports_corpus.py); each goes through the import page and is checked by what
the calendar then shows: the occurrences of the coming year, in the user's zone.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reminders.models import Event, Reminder
from reminders.selectors import occurrences_between
from reminders.services.calendars import reminder_add, reminders_tick

from .conftest import brussels

UTC = dt.UTC


def ics(*events: str, timezones: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\r\nDTSTAMP:20260101T000000Z\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n{timezones}{body}END:VCALENDAR\r\n"


def upload(client, owner, calendar, text: str):
    client.force_login(owner)
    return client.post(
        reverse("calendar_import"),
        {"calendar": calendar.pk, "file": SimpleUploadedFile("c.ics", text.encode(), "text/calendar")},
    )


def starts(owner, since: dt.datetime, until: dt.datetime) -> list[tuple[str, dt.datetime, dt.timedelta]]:
    return [
        (item.event.title, item.start.astimezone(UTC), item.end - item.start)
        for item in occurrences_between(user=owner, since=since, until=until)
    ]


def refusal(response) -> str:
    assert response.status_code == 400
    return " ".join(response.context["form"].errors["file"])


# Outlook 2010 writes its Windows zone name, with the zone's definition beside it.
OUTLOOK_ZONE = """BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


def test_a_windows_zone_name_with_its_vtimezone_is_imported_in_that_zone(owner, calendar, client):
    text = ics(
        "UID:o1\r\nSUMMARY:Team meeting\r\nDTSTART;TZID=W. Europe Standard Time:20270607T090000\r\n"
        "DTEND;TZID=W. Europe Standard Time:20270607T100000",
        timezones=OUTLOOK_ZONE,
    )
    assert upload(client, owner, calendar, text).status_code == 302
    assert starts(owner, brussels(2027, 6, 7), brussels(2027, 6, 8)) == [
        ("Team meeting", dt.datetime(2027, 6, 7, 7, tzinfo=UTC), dt.timedelta(hours=1))
    ]


def test_a_custom_vtimezone_name_is_matched_to_the_zone_with_the_same_offsets(owner, calendar, client):
    # Outlook names zones after cities ("Canberra, Melbourne, Sydney"); here a Cyrillic one.
    zone = (
        "BEGIN:VTIMEZONE\r\nTZID:Екатеринбург\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
        "TZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    text = ics("UID:y1\r\nSUMMARY:Call\r\nDTSTART;TZID=Екатеринбург:20270607T090000\r\nDURATION:PT30M", timezones=zone)
    assert upload(client, owner, calendar, text).status_code == 302
    assert Event.objects.get().start == dt.datetime(2027, 6, 7, 4, tzinfo=UTC)


def test_a_zero_length_event_is_imported(owner, calendar, client):
    # Google writes reminders-like events whose end is their start.
    text = ics("UID:z1\r\nSUMMARY:Deadline\r\nDTSTART:20270607T150000Z\r\nDTEND:20270607T150000Z")
    assert upload(client, owner, calendar, text).status_code == 302
    assert starts(owner, brussels(2027, 6, 7), brussels(2027, 6, 8)) == [
        ("Deadline", dt.datetime(2027, 6, 7, 15, tzinfo=UTC), dt.timedelta(0))
    ]


def test_a_date_start_with_a_duration_in_hours_lasts_those_hours(owner, calendar, client):
    text = ics("UID:d1\r\nSUMMARY:Workshop\r\nDTSTART;VALUE=DATE:20270607\r\nDURATION:PT10H")
    assert upload(client, owner, calendar, text).status_code == 302
    assert starts(owner, brussels(2027, 6, 7), brussels(2027, 6, 8)) == [
        ("Workshop", brussels(2027, 6, 7).astimezone(UTC), dt.timedelta(hours=10))
    ]


def test_two_rrule_lines_give_the_occurrences_of_both(owner, calendar, client):
    # Zimbra: "'list' object has no attribute 'to_ical'" refused the whole file.
    text = ics(
        "UID:r2\r\nSUMMARY:Yoga\r\nDTSTART;TZID=Europe/Brussels:20270607T180000\r\nDURATION:PT1H\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2\r\nRRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=2"
    )
    assert upload(client, owner, calendar, text).status_code == 302
    assert [start for _title, start, _length in starts(owner, brussels(2027, 6, 1), brussels(2027, 7, 1))] == [
        brussels(2027, 6, day, 18).astimezone(UTC) for day in (7, 10, 14, 17)
    ]


@pytest.mark.parametrize(
    "event",
    [
        "UID:m1\r\nSUMMARY:No start\r\nDTEND:20270607T150000Z",  # was "'dtstart'"
        "UID:m2\r\nSUMMARY:Bad length\r\nDTSTART:20270607T150000Z\r\nDURATION:soon",  # "can only concatenate str"
    ],
)
def test_a_refusal_names_the_event_and_the_value_without_python_internals(owner, calendar, client, event):
    message = refusal(upload(client, owner, calendar, ics(event)))
    assert message.startswith("Event 1 (“")
    assert "DTSTART" in message or "DURATION" in message
    for internal in ("'dtstart'", "concatenate", "object has no attribute", "operand"):
        assert internal not in message
    assert not Event.objects.exists()


SERIES = "UID:s1\r\nSUMMARY:Standup\r\nDTSTART;TZID=Europe/Brussels:20270607T090000\r\nDURATION:PT15M\r\n"


def test_an_edited_occurrence_replaces_the_original_and_is_reminded_once(owner, calendar, client):
    text = ics(
        SERIES + "RRULE:FREQ=DAILY;COUNT=3",
        "UID:s1\r\nSUMMARY:Standup (late)\r\nRECURRENCE-ID;TZID=Europe/Brussels:20270608T090000\r\n"
        "DTSTART;TZID=Europe/Brussels:20270608T110000\r\nDURATION:PT15M",
    )
    assert upload(client, owner, calendar, text).status_code == 302
    assert starts(owner, brussels(2027, 6, 7), brussels(2027, 6, 10)) == [
        ("Standup", brussels(2027, 6, 7, 9).astimezone(UTC), dt.timedelta(minutes=15)),
        ("Standup (late)", brussels(2027, 6, 8, 11).astimezone(UTC), dt.timedelta(minutes=15)),
        ("Standup", brussels(2027, 6, 9, 9).astimezone(UTC), dt.timedelta(minutes=15)),
    ]
    now = brussels(2027, 6, 8, 8)
    for event in Event.objects.all():
        reminder_add(event=event, user=owner, minutes_before=10, now=now)
    fired = []
    for minute in range(0, 36 * 60, 5):  # every 5 minutes from 8 June 08:00 to 9 June 20:00
        moment = now + dt.timedelta(minutes=minute)
        if reminders_tick(now=moment)["sent"]:
            fired.append(moment)
    assert len(fired) == 2  # 10:50 for the moved one, and 9 June at 08:50; not 8:50 on the 8th
    assert Reminder.objects.filter(next_fire_at__isnull=False).count() == 0


def test_a_cancelled_occurrence_is_removed(owner, calendar, client):
    text = ics(
        SERIES + "RRULE:FREQ=DAILY;COUNT=3",
        "UID:s1\r\nSUMMARY:Standup\r\nRECURRENCE-ID;TZID=Europe/Brussels:20270608T090000\r\nSTATUS:CANCELLED\r\n"
        "DTSTART;TZID=Europe/Brussels:20270608T090000\r\nDURATION:PT15M",
    )
    assert upload(client, owner, calendar, text).status_code == 302
    assert [start for _t, start, _l in starts(owner, brussels(2027, 6, 7), brussels(2027, 6, 10))] == [
        brussels(2027, 6, 7, 9).astimezone(UTC),
        brussels(2027, 6, 9, 9).astimezone(UTC),
    ]


def test_rdate_adds_occurrences(owner, calendar, client):
    text = ics(SERIES + "RDATE;TZID=Europe/Brussels:20270610T090000,20270615T140000")
    assert upload(client, owner, calendar, text).status_code == 302
    assert [start for _t, start, _l in starts(owner, brussels(2027, 6, 1), brussels(2027, 7, 1))] == [
        brussels(2027, 6, 7, 9).astimezone(UTC),
        brussels(2027, 6, 10, 9).astimezone(UTC),
        brussels(2027, 6, 15, 14).astimezone(UTC),
    ]


def test_a_rule_that_ends_before_its_start_is_left_out_and_said(owner, calendar, client):
    text = ics(
        SERIES + "RRULE:FREQ=DAILY;UNTIL=20270601T000000Z",
        "UID:k1\r\nSUMMARY:Kept\r\nDTSTART:20270607T150000Z\r\nDURATION:PT1H",
    )
    response = upload(client, owner, calendar, text)
    assert response.status_code == 302
    assert [title for title, _s, _l in starts(owner, brussels(2027, 1, 1), brussels(2028, 1, 1))] == ["Kept"]
    page = client.get(response.url).content.decode()
    assert "“Standup” repeats until a date before it starts" in page


def test_until_in_utc_with_a_start_in_a_named_zone_ends_the_series_there(owner, calendar, client):
    # Thunderbird, Google, Exchange: UNTIL in UTC as RFC 5545 asks, the start in a zone.
    text = ics(
        "UID:u1\r\nSUMMARY:Course\r\nDTSTART;TZID=W. Europe Standard Time:20270607T090000\r\nDURATION:PT1H\r\n"
        "RRULE:FREQ=WEEKLY;UNTIL=20270621T070000Z",
        timezones=OUTLOOK_ZONE,
    )
    assert upload(client, owner, calendar, text).status_code == 302
    assert [start for _t, start, _l in starts(owner, brussels(2027, 6, 1), brussels(2027, 8, 1))] == [
        brussels(2027, 6, day, 9).astimezone(UTC) for day in (7, 14, 21)
    ]
