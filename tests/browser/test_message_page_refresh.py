"""The message page refreshes itself while recipients are in flight: the state at its top
follows (it said "sending" above "2 of 2 accepted by the SMS centre")."""

import pytest
from playwright.sync_api import expect

from messaging.models import RecipientStatus
from messaging.services.accepting import message_send
from tests.browser.test_contacts_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_state_at_the_top_follows_the_refreshed_progress(page, sender):
    message = message_send(user=sender, body="Refresh me", to=["+32475123456", "+32475654321"])
    message.recipients.update(status=RecipientStatus.SUBMITTING)  # in flight: a worker has them
    log_in(page, sender)
    page.goto(f"/sms/{message.pk}/")
    expect(page.get_by_test_id("message-state")).to_have_text("sending")

    # The SMS centre takes both (as a worker would record it); the page is not reloaded.
    message.recipients.update(status=RecipientStatus.ACCEPTED)
    expect(page.get_by_test_id("progress-text")).to_contain_text("2 of 2 accepted", timeout=10_000)
    expect(page.get_by_test_id("message-state")).to_have_text("sent")
