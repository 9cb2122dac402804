"""The credit history page: one line per send or credit change, in words, linked to the SMS."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credits.models import CreditPack, LedgerEntry, Plan
from credits.services import account_for, credits_grant, credits_hold, purchase_create
from messaging.gateways.base import Outcome, SendResult
from messaging.services.accepting import message_send
from reminders.services.calendars import calendar_create, event_save, reminder_add, reminders_tick
from tests.factories import UserFactory

NUMBERS = ["+32475111111", "+32475222222", "+32475333333"]


@pytest.fixture
def account(user, db):
    Plan.objects.create(name="Standard", monthly_allowance=100, is_default=True)
    return account_for(user=user)


def send(user, to, body="Hello"):
    return message_send(user=user, body=body, to=to, with_signature=False)


def lines_of(page: str) -> list[str]:
    """The history's rows as text, one string a row, spaces squeezed."""
    if 'data-testid="history"' not in page:
        return []
    table = page.split('data-testid="history"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]  # without the heading row
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_one_sms_to_three_recipients_is_one_line_that_says_what_it_was(
    logged_in, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = send(account.user, NUMBERS)
    page = logged_in.get(reverse("ledger")).content.decode()
    lines = lines_of(page)
    assert len(lines) == 2  # the send, and the monthly quota granted when the account opened
    assert "SMS to 3 recipients" in lines[0] and "3 used" in lines[0]
    assert "held for a send" not in page and "message:" not in page and "dispatch:" not in page
    assert f'href="{reverse("sms_detail", args=[message.pk])}"' in page
    assert "Monthly quota" in lines[1] and "+100" in lines[1]


def test_a_send_refused_by_the_gateway_shows_the_credit_given_back(
    logged_in, account, locmem_gateway, django_capture_on_commit_callbacks
):
    locmem_gateway.script = lambda sms: (
        SendResult(Outcome.FAILED, code="21211", reason="invalid number")
        if sms.to == NUMBERS[1]
        else SendResult(Outcome.ACCEPTED)
    )
    with django_capture_on_commit_callbacks(execute=True):
        send(account.user, NUMBERS[:2])
    line = lines_of(logged_in.get(reverse("ledger")).content.decode())[0]
    assert "SMS to 2 recipients" in line and "1 used" in line and "1 given back" in line


def test_a_send_still_waiting_shows_what_is_held(logged_in, account):
    send(account.user, NUMBERS[:1])  # not dispatched: no on-commit callbacks ran
    line = lines_of(logged_in.get(reverse("ledger")).content.decode())[0]
    assert "SMS to +32 475 11 11 11" in line and "1 held" in line


def test_purchases_grants_and_reminders_say_what_they_were(
    logged_in, account, user, django_capture_on_commit_callbacks
):
    pack = CreditPack.objects.create(name="Small", credits=500, price_cents=900)
    purchase_create(user=user, pack=pack)
    credits_grant(account=account, amount=7, reason="sorry for the outage", actor=None)
    user.mobile = "+32475123456"
    user.time_zone = "Europe/Brussels"
    user.save()
    calendar = calendar_create(name="Home", owner=user)
    now = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
    event = event_save(
        calendar=calendar,
        title="Dentist",
        start=now + dt.timedelta(hours=2),
        end=now + dt.timedelta(hours=3),
        time_zone="Europe/Brussels",
        now=now,
    )
    reminder_add(event=event, user=user, minutes_before=15, now=now)
    due = now + dt.timedelta(hours=1, minutes=45)
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders_tick(now=due)["sent"] == 1
    lines = lines_of(logged_in.get(reverse("ledger")).content.decode())
    assert "Reminder: Dentist" in lines[0] and "1 used" in lines[0]
    assert "Granted by an administrator" in lines[1] and "+7" in lines[1] and "sorry for the outage" in lines[1]
    assert "Purchase of 500 SMS" in lines[2] and "+500" in lines[2]


def test_the_history_pages_by_line_with_the_same_queries_on_every_page(logged_in, account):
    for number in range(60):
        credits_hold(account=account, amount=1, reference=f"message:{number}")
    with CaptureQueriesContext(connection) as first_queries:
        first = logged_in.get(reverse("ledger"))
    lines = first.context["lines"]
    assert len(lines) == 50 and lines[0].key == "message:59"
    older = logged_in.get(reverse("ledger"), {"before": first.context["next_before"]})
    assert len(older.context["lines"]) == 11 and older.context["next_before"] is None
    assert older.context["lines"][-1].words == "Monthly quota"
    with CaptureQueriesContext(connection) as older_queries:
        logged_in.get(reverse("ledger"), {"before": first.context["next_before"]})
    assert len(older_queries) == len(first_queries)
    assert logged_in.get(reverse("ledger"), {"before": "x" * 30}).status_code == 200


def test_a_hold_over_two_buckets_is_one_line_even_across_a_page_boundary(logged_in, account):
    credits_grant(account=account, amount=100, reason="top-up", actor=None)
    credits_hold(account=account, amount=105, reference="message:1")  # 100 monthly + 5 provision
    for number in range(2, 51):
        credits_hold(account=account, amount=1, reference=f"message:{number}")
    first = logged_in.get(reverse("ledger"))
    older = logged_in.get(reverse("ledger"), {"before": first.context["next_before"]})
    keys = [line.key for line in first.context["lines"] + older.context["lines"]]
    assert keys.count("message:1") == 1
    line = next(line for line in first.context["lines"] + older.context["lines"] if line.key == "message:1")
    assert line.held == 105


def test_the_admin_still_shows_the_raw_entries(admin_client, account):
    credits_hold(account=account, amount=2, reference="message:9")
    page = admin_client.get(reverse("admin:credits_ledgerentry_changelist")).content.decode()
    assert "message:9" in page
    assert LedgerEntry.objects.filter(reference="message:9", kind="hold").count() == 1


def test_nobody_sees_another_users_history(client, account):
    credits_hold(account=account, amount=2, reference="message:9")
    client.force_login(UserFactory())
    lines = lines_of(client.get(reverse("ledger")).content.decode())
    assert len(lines) == 1 and "Monthly quota" in lines[0]
