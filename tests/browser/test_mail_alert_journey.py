"""Connect a mailbox on the real Dovecot, receive a mail, find the alert on the credit history."""

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from credits.models import Plan
from mailalerts.models import Mailbox
from mailalerts.services.polling import mailalerts_tick
from tests.browser.test_contacts_journey import log_in
from tests.factories import UserFactory
from tests.fakes.dovecot import simple_message
from tests.mailalerts.conftest import dovecot, imap_account  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Screenshots of the pages at 1280 px and 390 px, for a person to look at (not compared).
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", "")) if os.environ.get("SCREENSHOTS_DIR") else None


def shoot(page, name: str) -> None:
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def fits(page, test_id: str) -> bool:
    """The element ends inside the window: no horizontal scrolling to read it."""
    return page.get_by_test_id(test_id).evaluate("e => e.getBoundingClientRect().right <= window.innerWidth")


def test_a_mail_alert_shows_on_the_credit_history_by_its_words(page, settings, dovecot, imap_account):  # noqa: F811
    settings.MAILALERTS_CA_FILE = str(dovecot.ca_file)
    Plan.objects.create(name="Standard", monthly_allowance=20, is_default=True)
    user = UserFactory(mobile="+32475123456", time_zone="Europe/Brussels")
    log_in(page, user)

    page.goto("/mail-alerts/mailboxes/new/")
    page.get_by_label("Name:", exact=True).fill("Work")
    page.get_by_label("IMAP server:", exact=True).fill(dovecot.host)
    page.get_by_label("Security:", exact=True).select_option("starttls")
    expect(page.get_by_label("Port:", exact=True)).to_have_value("143")  # the usual port for STARTTLS
    page.get_by_label("Port:", exact=True).fill(str(dovecot.port))
    page.get_by_label("User name:", exact=True).fill(imap_account[0])
    page.get_by_label("Password:", exact=True).fill(imap_account[1])
    shoot(page, "mailbox-form")
    page.get_by_role("button", name="Test and connect").click()
    expect(page.get_by_role("status")).to_contain_text("Connected to “Work”")

    dovecot.append(imap_account[0], simple_message(sender="Anna Smith <anna@example.org>", subject="Budget 2027"))
    Mailbox.objects.update(next_poll_at=timezone.now())
    assert mailalerts_tick()["polls"] == 1  # beat's tick; the poll and the send run eagerly here

    page.goto("/mail-alerts/")
    expect(page.get_by_test_id("alert-log")).to_contain_text("Anna Smith: Budget 2027")
    expect(page.get_by_test_id("alert-log")).to_contain_text("+32 475 12 34 56")
    shoot(page, "mail-alerts")
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits(page, "mailboxes") and fits(page, "alert-log")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/settings/credit/history/")
    line = page.get_by_test_id("history").get_by_role("row").filter(has_text="Mail alert: Anna Smith: Budget 2027")
    expect(line).to_contain_text("1 used")
    shoot(page, "credit-history")
    assert fits(page, "history")
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits(page, "history")
    page.set_viewport_size({"width": 1280, "height": 900})
    line.get_by_role("link", name="Mail alert: Anna Smith: Budget 2027").click()
    expect(page.get_by_text("Mail from Anna Smith: Budget 2027")).to_be_visible()
