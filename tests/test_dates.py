"""Dates and times read the same on every page, in the user's language and time zone.

The Belgian default (Europe/Brussels): 30/11/2026 23:48, day first and 24-hour, whether the
page is the Sent SMS list, an SMS, or the calendar.
"""

import datetime as dt

import pytest

from messaging.models import Message
from reminders.services.calendars import calendar_create, event_save
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 11, 30, 22, 48, tzinfo=dt.UTC)  # 23:48 in Brussels


@pytest.fixture
def belgian(client):
    user = UserFactory(time_zone="Europe/Brussels", default_country="BE")
    client.force_login(user)
    return user


def sent_message(user):
    message = Message.objects.create(
        user=user, body="hi", text="hi", encoding="GSM-7", segments=1, credits_held=1, gateway="default", status="sent"
    )
    Message.objects.filter(pk=message.pk).update(created_at=AT)
    return message


@pytest.mark.parametrize("language", ["en", "fr", "nl"])
def test_the_sent_sms_list_and_an_sms_show_day_first_24_hour(client, belgian, language):
    belgian.language = language
    belgian.save()
    message = sent_message(belgian)
    for url in ("/sms/", f"/sms/{message.pk}/"):
        page = client.get(url).content.decode()
        assert "30/11/2026 23:48" in page, url
        assert "p.m." not in page and "11/30/2026" not in page


def test_the_calendar_shows_an_event_the_same_way(client, belgian):
    calendar = calendar_create(name="Work", owner=belgian, group=None)
    event = event_save(
        calendar=calendar, title="Late call", start=AT, end=AT + dt.timedelta(minutes=30), time_zone="Europe/Brussels"
    )
    assert "30/11/2026 23:48" in client.get(f"/calendar/events/{event.pk}/").content.decode()
