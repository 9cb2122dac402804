"""Composing and sending SMS in a real browser, sent by a real Celery worker process."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import ContactList, ListMember
from accounts.services import PhoneEntry, address_books_ensure, contact_save
from credits.models import Plan
from tests.browser.test_contacts_journey import log_in
from tests.factories import UserFactory
from tests.workers import worker_environment

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db):
    with worker_environment() as workers:  # the locmem gateway: every SMS accepted
        workers["start_worker"]()
        yield workers


@pytest.fixture
def ann(transactional_db):
    Plan.objects.create(name="Twenty", monthly_allowance=20, is_default=True)
    user = UserFactory(full_name="Ann Peeters", sms_signature="Ann")
    book = address_books_ensure(user=user)[0]
    bob = contact_save(
        book=book, name="Bob Janssens", phone_entries=[PhoneEntry(label="mobile", raw="", e164="+32486112233")]
    )
    carl = contact_save(
        book=book, name="Carl Dupont", phone_entries=[PhoneEntry(label="mobile", raw="", e164="+32486445566")]
    )
    team = ContactList.objects.create(owner=user, name="Team")
    ListMember.objects.create(contact_list=team, contact=carl)
    ListMember.objects.create(contact_list=team, phone="+33612345678")
    return user, bob


def test_compose_to_a_number_a_contact_and_a_list_and_watch_it_go_out(page, worker, ann):
    user, _bob = ann
    log_in(page, user)
    page.get_by_role("navigation", name="Tools").get_by_role("link", name="SMS", exact=True).click()

    page.get_by_label("Mobile").fill("0475 12 34 56")
    page.get_by_role("button", name="Add", exact=True).first.click()
    recipients = page.get_by_test_id("recipients")
    expect(recipients).to_contain_text("+32 475 12 34 56")

    page.get_by_label("Contacts and Lists").fill("bob")
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("search-results").get_by_role("button", name="Add Bob Janssens").click()
    page.get_by_label("Contacts and Lists").fill("team")
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("search-results").get_by_role("button", name="Add List Team").click()
    expect(recipients).to_contain_text("Bob Janssens")
    expect(recipients).to_contain_text("List: Team")

    body = page.get_by_label("Message")
    body.press_sequentially("Hello", delay=20)
    expect(page.get_by_test_id("encoding")).to_have_text("GSM-7")
    body.press_sequentially(" 😀", delay=20)
    expect(page.get_by_test_id("encoding")).to_have_text("UCS-2")
    expect(page.get_by_test_id("ucs2")).to_contain_text("😀")
    expect(page.get_by_test_id("credits")).to_have_text("4 credits")
    expect(page.get_by_test_id("cost")).to_have_text("Paid by your monthly quota: 4; by provision: 0.")

    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sms/\d+/$"))
    expect(page.get_by_test_id("progress-text")).to_contain_text("4 of 4 accepted by the SMS centre", timeout=30_000)
    expect(page.get_by_test_id("progress-text")).to_contain_text("accepted by the SMS centre: 4")
    assert page.get_by_test_id("progress").get_attribute("value") == "4"
    expect(page.get_by_test_id("credit")).to_have_text("Credit: 4 used, 0 given back, 0 still held.")


def test_cancel_a_scheduled_send_and_see_the_credit_back(page, worker, ann):
    user, _bob = ann
    log_in(page, user)
    page.goto("/sms/new/?to=%2B32475123456")
    page.get_by_label("Message").fill("See you tomorrow")
    page.get_by_text("Send later").click()
    tomorrow = (timezone.now() + dt.timedelta(days=1)).astimezone(zoneinfo.ZoneInfo(user.time_zone))
    page.get_by_label(re.compile("Date and time")).fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("SMS scheduled.")).to_be_visible()

    page.goto("/settings/quotas/")
    expect(page.get_by_test_id("figures")).to_contain_text(re.compile(r"Held for sends in progress\s*1"))
    page.go_back()
    page.get_by_role("button", name="Cancel this scheduled SMS").click()
    expect(page.get_by_text("its credit is back")).to_be_visible()
    page.goto("/settings/quotas/")
    figures = page.get_by_test_id("figures")
    expect(figures).to_contain_text(re.compile(r"Held for sends in progress\s*0"))
    expect(figures).to_contain_text(re.compile(r"Remaining \(lost at the end of the month\)\s*20"))


def test_picking_a_date_turns_send_later_on_and_the_counter_says_over_the_limit(page, ann):
    """Issue 17, items 4 and 5: what a person sees while filling the composer."""
    user, _bob = ann
    log_in(page, user)
    page.goto("/sms/new/")
    switch = page.get_by_role("switch", name="Send later")
    expect(switch).not_to_be_checked()
    page.locator("#id_send_at").fill("2030-01-15T09:30")
    expect(switch).to_be_checked()
    switch.uncheck()
    expect(page.locator("#id_send_at")).to_have_value("")
    page.get_by_label("Message").fill("a" * 1600)
    page.get_by_label("Message").press("End")
    page.get_by_label("Message").press_sequentially("€", delay=20)
    expect(page.get_by_test_id("over-limit")).to_contain_text("at most 10")
    expect(page.get_by_test_id("parts")).to_contain_text("11 parts")
    expect(page.get_by_test_id("double")).to_contain_text("€")
