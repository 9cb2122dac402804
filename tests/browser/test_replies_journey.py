"""Replies in a real browser: Ann texts Bob (a contact), Bob answers, Ann sees it in Replies
under his name and answers from the conversation; a real Celery worker sends both SMS."""

import re

import pytest
from playwright.sync_api import expect

from messaging.models import Recipient, RecipientStatus
from messaging.services.incoming import incoming_receive
from tests.browser.test_composer_journey import ann, worker  # noqa: F401 - fixtures
from tests.browser.test_contacts_journey import log_in
from tests.workers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def send_from_composer(page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sms/\d+/$"))
    expect(page.get_by_test_id("progress-text")).to_contain_text("1 of 1 accepted", timeout=30_000)


def test_a_reply_reaches_its_sender_who_answers_from_the_conversation(page, worker, ann):  # noqa: F811
    user, bob = ann
    log_in(page, user)
    page.goto(f"/contacts/{bob.pk}/")
    page.get_by_role("link", name="+32 486 11 22 33").click()
    expect(page.get_by_test_id("recipients")).to_contain_text("Bob Janssens")
    send_from_composer(page, "Lunch at noon?")

    # Bob answers: the provider's webhook would call the same service.
    incoming_receive(gateway="default", from_number="+32486112233", text="Yes, see you there 👍")
    page.reload()
    expect(page.get_by_test_id("reply")).to_contain_text("Yes, see you there 👍")
    replies = page.get_by_role("navigation", name="Main").get_by_test_id("nav-replies")
    expect(replies).to_contain_text("1 unread")
    replies.click()
    conversations = page.get_by_test_id("conversations")
    expect(conversations).to_contain_text("Bob Janssens")
    conversations.get_by_role("link", name=re.compile("Bob Janssens")).click()
    expect(page.get_by_test_id("thread")).to_contain_text("Lunch at noon?")
    expect(page.get_by_role("navigation", name="Main").get_by_test_id("nav-replies")).not_to_contain_text("unread")

    conversation = page.url
    page.get_by_test_id("answer").click()
    expect(page.get_by_test_id("recipients")).to_contain_text("Bob Janssens")
    send_from_composer(page, "Great, table for two")
    wait_until(
        lambda: (
            Recipient.objects.filter(message__user=user, to="+32486112233", status=RecipientStatus.ACCEPTED).count()
            == 2
        )
    )
    page.goto(conversation)
    expect(page.get_by_test_id("thread")).to_contain_text("Great, table for two")
