"""Sender IDs in a real browser: Ann asks for "ACME" on Settings → Sender IDs, an
administrator approves it, she picks it in the composer (which says whom recipients see and
that the US number falls back to the server's number) and sends through a real worker."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from messaging.models import SenderId
from messaging.services.senders import sender_id_decide
from tests.browser.test_composer_journey import ann, worker  # noqa: F401 - fixtures
from tests.browser.test_contacts_journey import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_ask_for_a_sender_id_pick_it_and_see_who_gets_the_number(page, worker, ann):  # noqa: F811
    user, _bob = ann
    log_in(page, user)
    page.goto("/settings/sender-ids/")
    page.get_by_label("Sender ID").fill("ACME Shop!")
    page.get_by_role("button", name="Ask for it").click()
    expect(page.locator(".errorlist")).to_contain_text("contains !")
    page.get_by_label("Sender ID").fill("ACME")
    page.get_by_role("button", name="Ask for it").click()
    expect(page.get_by_test_id("sender-ids")).to_contain_text("requested")

    sender_id_decide(sender_id=SenderId.objects.get(), approve=True, by=UserFactory(is_staff=True), now=timezone.now())
    page.goto("/sms/new/")
    for number in ("0475 12 34 56", "+1 202 555 0123"):
        page.get_by_label("Mobile").fill(number)
        page.get_by_role("button", name="Add", exact=True).first.click()
    page.get_by_label("Message").fill("Sale today")
    expect(page.get_by_test_id("sender-note")).to_have_text(
        "Recipients will see the server's number and can reply to it."
    )
    page.get_by_label("Sender", exact=True).select_option("ACME")
    expect(page.get_by_test_id("sender-note")).to_have_text("Recipients will see “ACME”; they cannot reply to a name.")
    expect(page.get_by_test_id("sender-fallback")).to_contain_text(
        "1 recipient is in a country whose carriers refuse names (United States, Canada)"
    )
    expect(page.get_by_test_id("sender-fallback")).to_contain_text("+1 202-555-0123")

    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sms/\d+/$"))
    expect(page.get_by_test_id("progress-text")).to_contain_text("2 of 2 accepted", timeout=30_000)
    expect(page.get_by_test_id("message-sender")).to_contain_text("Sent as “ACME”")
    expect(page.get_by_test_id("from-number")).to_have_count(1)
