"""The Messages tool in a real browser: one message to a List on email, SMS and fax.

A real Celery worker process sends the copies: email and fax (email-to-fax) to an
SMTP server on loopback started by the test, SMS to the locmem gateway.
"""

import email
import re
from email import policy

import pytest
from playwright.sync_api import expect

from credits.models import Plan
from tests.browser.test_contacts_journey import log_in
from tests.factories import UserFactory, team_of_three
from tests.fakes.smtp_server import SMTPServer
from tests.workers import worker_environment

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def worker(transactional_db, smtp):
    env = {
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "DEFAULT_FROM_EMAIL": "SMS Office <noreply@office.example>",
        "FAX_GATEWAY": "email_to_fax",
        "FAX_EMAIL_ADDRESS": "{number}@fax.example",
    }
    with worker_environment(**env) as workers:
        workers["start_worker"]()
        yield workers


@pytest.fixture
def ann(transactional_db):
    Plan.objects.create(name="Twenty", monthly_allowance=20, is_default=True)
    user = UserFactory(full_name="Ann Peeters", sms_signature="Ann")
    team_of_three(user)
    return user


def cell(row, channel):
    return row.locator(f'td[data-channel="{channel}"]')


def test_one_message_to_a_list_on_every_channel_shows_who_got_what(page, worker, smtp, ann):
    log_in(page, ann)
    page.get_by_role("link", name="Messages").first.click()
    for channel in ("email", "SMS", "fax"):
        page.get_by_label(channel, exact=True).check()
    page.get_by_label("Contacts and Lists").fill("team")
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("search-results").get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("entries")).to_contain_text("List: Team")
    page.get_by_label("Subject", exact=True).fill("Office closed Friday")
    page.get_by_label("Text", exact=True).fill("The office is closed on Friday.")
    page.get_by_role("button", name="Update the summary").click()

    summary = page.get_by_test_id("summary")
    expect(summary.get_by_test_id("count-email")).to_have_text("2")
    expect(summary.get_by_test_id("count-sms")).to_have_text("2")
    expect(summary.get_by_test_id("count-fax")).to_have_text("1")
    expect(summary.get_by_test_id("summary-email")).to_contain_text("Mo Mobile: no email address")
    expect(summary.get_by_test_id("summary-sms")).to_contain_text("Emma Email: no mobile number")
    expect(summary.get_by_test_id("summary-fax")).to_contain_text("Emma Email: no fax number; Mo Mobile: no fax number")
    expect(summary.get_by_test_id("sms-cost")).to_contain_text("2 credits in all")

    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/messages/sent/\d+/$"))
    rows = page.get_by_test_id("person")
    expect(rows).to_have_count(3)
    emma, mo, fay = (rows.filter(has_text=name) for name in ("Emma Email", "Mo Mobile", "Fay Everything"))
    # The page refreshes itself until every copy has its answer.
    expect(cell(fay, "fax")).to_have_attribute("data-state", "sent", timeout=30_000)
    expect(cell(fay, "email")).to_have_attribute("data-state", "sent", timeout=30_000)
    expect(cell(emma, "email")).to_have_attribute("data-state", "sent", timeout=30_000)
    expect(cell(mo, "sms")).to_have_attribute("data-state", "accepted", timeout=30_000)
    expect(cell(fay, "sms")).to_have_attribute("data-state", "accepted", timeout=30_000)
    for row, channel, reason in [
        (emma, "sms", "no mobile number"),
        (emma, "fax", "no fax number"),
        (mo, "email", "no email address"),
        (mo, "fax", "no fax number"),
    ]:
        expect(cell(row, channel)).to_have_attribute("data-state", "skipped")
        expect(cell(row, channel)).to_contain_text(reason)

    # What the SMTP server received: the two emails and the fax, each to its own address.
    received = {rcpts[0]: email.message_from_bytes(data, policy=policy.default) for _f, rcpts, data in smtp.received}
    assert sorted(received) == ["3225551234@fax.example", "emma@example.org", "fay@example.org"]
    assert received["emma@example.org"]["Subject"] == "Office closed Friday"
    (pdf,) = list(received["3225551234@fax.example"].iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
