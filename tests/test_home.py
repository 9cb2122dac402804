"""Home shows where the user stands (issue 17, item 7): credit, last SMS, next reminders, agenda."""

import datetime as dt
import zoneinfo

from django.urls import reverse
from django.utils import timezone

from messaging.gateways.base import StatusUpdate
from messaging.models import RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.reports import status_updates_apply
from reminders.services.agenda import agenda_settings_save
from reminders.services.calendars import calendar_create, event_save, reminder_add

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


def test_home_shows_credit_last_sms_next_reminders_and_agenda_time(client, sender, run_on_commit):
    sender.time_zone = "Europe/Brussels"
    sender.save()
    message = run_on_commit(message_send, user=sender, body="Parcel arrived", to=["+32475123456"])
    status_updates_apply(
        updates=[StatusUpdate(r.provider_id, RecipientStatus.DELIVERED) for r in message.recipients.all()]
    )
    now = timezone.now()
    start = (now + dt.timedelta(days=2)).astimezone(BRUSSELS).replace(hour=9, minute=0, second=0, microsecond=0)
    event = event_save(
        calendar=calendar_create(name="Work", owner=sender),
        title="Dentist",
        start=start,
        end=start + dt.timedelta(hours=1),
        time_zone="Europe/Brussels",
        now=now,
    )
    reminder_add(event=event, user=sender, minutes_before=30, now=now)
    agenda_settings_save(
        user=sender,
        enabled=True,
        send_time=dt.time(7, 15),
        weekdays="12345",
        day="today",
        max_parts=2,
        send_empty=False,
        now=now,
    )
    client.force_login(sender)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="can-send">29<' in page  # 19 left of the monthly 20, and 10 of provision
    assert "19 from this month’s quota" in page and "10 of provision" in page
    assert "Parcel arrived" in page and 'data-state="delivered"' in page
    assert "Dentist" in page and start.strftime("%H:%M") in page
    assert "07:15" in page
    assert reverse("sms_compose") in page and reverse("contact_index") in page  # the tiles stay


def test_home_for_a_new_user_says_what_is_not_there_yet(client, sender):
    client.force_login(sender)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="can-send">30<' in page
    assert "No SMS sent yet" in page and "No reminder" in page and "Agenda by SMS: off" in page
