"""Create an event with a 15-minute SMS reminder, let time pass, see the reminder accepted in the log."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from credits.models import Plan
from reminders.services.calendars import reminders_tick
from tests.browser.test_contacts_journey import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_sms_reminder_goes_out_and_shows_in_the_log(page):
    Plan.objects.create(name="Standard", monthly_allowance=20, is_default=True)
    user = UserFactory(mobile="+32475123456", time_zone="Europe/Brussels")
    log_in(page, user)
    start = (timezone.now() + dt.timedelta(days=1)).astimezone(zoneinfo.ZoneInfo("Europe/Brussels"))
    start = start.replace(minute=0, second=0, microsecond=0)

    page.goto("/calendar/events/new/")
    page.get_by_label("Title:").fill("Board meeting")
    page.get_by_label("Location:").fill("Room 4")
    page.get_by_label("Start:").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("End:").fill((start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Board meeting")).to_be_visible()
    page.get_by_label("Remind me:").select_option("15")
    page.get_by_role("button", name="Add a reminder").click()
    expect(page.get_by_test_id("reminders")).to_contain_text("15 minutes before (SMS)")

    due = start - dt.timedelta(minutes=15)
    with time_machine.travel(due, tick=False):  # the beat tick, 15 minutes before the meeting
        assert reminders_tick(now=due)["sent"] == 1

    page.goto("/calendar/log/")
    expect(page.get_by_test_id("log")).to_contain_text("Board meeting")
    expect(page.get_by_test_id("log")).to_contain_text("sent")
    expect(page.get_by_test_id("log-sms-state")).to_have_text("accepted by the SMS centre")
