"""An .ics import does what a request can do in a few seconds, and says so on the page."""

from django.urls import reverse

from reminders.models import Event
from tests.reminders.test_pages import ICS, upload


def test_the_import_page_states_the_limits(client, owner, settings):
    settings.CALENDAR_IMPORT_MAX_EVENTS = 1000
    settings.CALENDAR_IMPORT_MAX_BYTES = 1024 * 1024
    client.force_login(owner)
    page = client.get(reverse("calendar_import")).content.decode()
    assert "up to 1,000 events and 1.0\xa0MB" in page


def test_a_file_with_more_events_than_the_cap_is_refused_before_anything_is_written(client, owner, calendar, settings):
    settings.CALENDAR_IMPORT_MAX_EVENTS = 2
    client.force_login(owner)
    response = upload(client, calendar, ICS)  # 3 events
    page = response.content.decode()
    assert response.status_code == 400
    assert "This file holds 3 events; one import takes at most 2" in page and "split the file" in page
    assert not Event.objects.exists()
    settings.CALENDAR_IMPORT_MAX_EVENTS = 3
    assert upload(client, calendar, ICS).status_code == 302


def test_a_file_whose_repetitions_take_too_long_to_expand_is_refused(client, owner, calendar, settings):
    settings.CALENDAR_IMPORT_MAX_STEPS = 10
    client.force_login(owner)
    response = upload(client, calendar, ICS.replace("RRULE:FREQ=WEEKLY;COUNT=5", "RRULE:FREQ=WEEKLY;COUNT=50"))
    page = response.content.decode()
    assert response.status_code == 400 and "split the file into smaller ones" in page
    assert not Event.objects.exists()


def test_a_file_over_the_byte_cap_says_what_to_do(client, owner, calendar, settings):
    settings.CALENDAR_IMPORT_MAX_BYTES = 1000
    client.force_login(owner)
    response = upload(client, calendar, ICS + " " * 2000)
    assert response.status_code == 400 and "split the file" in response.content.decode()
