"""Writing to many in a real browser: a List with first names, a CSV with a city column and a
template with placeholders; each text as expected at the gateway (a fake Twilio on loopback,
reached by a real Celery worker) and the credit held equal to the sum of the parts."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import ContactList, ListMember
from accounts.services import PhoneEntry, address_books_ensure, contact_save
from credits.models import Hold, Plan
from messaging.models import Message, MessageTemplate
from messaging.segments import count
from tests.browser.test_contacts_journey import log_in
from tests.factories import UserFactory
from tests.fakes.twilio_server import FakeTwilio
from tests.workers import TWILIO_CREDENTIALS, worker_environment

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

BODY = "Hi {first_name|friend}, the fair is in {city|our shop} on Saturday. " + "Bring this SMS for a gift. " * 3
CSV = "mobile;city\n0475 00 00 01;Gent\n0475 00 00 02;Sint-Agatha-Berchem (Berchem-Sainte-Agathe)\n"


@pytest.fixture
def twilio_worker(transactional_db):
    with (
        FakeTwilio() as fake,
        worker_environment(SMS_GATEWAY="twilio", TWILIO_BASE_URL=fake.url, **TWILIO_CREDENTIALS) as workers,
    ):
        workers["start_worker"]()
        yield fake


@pytest.fixture
def ann(transactional_db):
    Plan.objects.create(name="Twenty", monthly_allowance=20, is_default=True)
    user = UserFactory(full_name="Ann Peeters", sms_signature="Ann", default_country="BE")
    book = address_books_ensure(user=user)[0]
    team = ContactList.objects.create(owner=user, name="Team")
    for name, number in (
        ("Bob Janssens", "+32486112233"),
        ("Carl Dupont", "+32486445566"),
        ("Maximiliaan-Alexander Van den Bossche", "+32486778899"),
    ):
        contact = contact_save(book=book, name=name, phone_entries=[PhoneEntry("mobile", "", number)])
        ListMember.objects.create(contact_list=team, contact=contact)
    MessageTemplate.objects.create(user=user, name="Fair", body=BODY, channels="sms")
    return user


def expected_texts() -> dict[str, str]:
    def text(first_name: str, city: str) -> str:
        return (
            f"Hi {first_name}, the fair is in {city} on Saturday. " + "Bring this SMS for a gift. " * 3
        ).strip() + "\nAnn"

    return {
        "+32486112233": text("Bob", "our shop"),
        "+32486445566": text("Carl", "our shop"),
        "+32486778899": text("Maximiliaan-Alexander", "our shop"),
        "+32475000001": text("friend", "Gent"),
        "+32475000002": text("friend", "Sint-Agatha-Berchem (Berchem-Sainte-Agathe)"),
    }


def test_a_list_a_csv_and_a_template_each_reader_gets_their_text_and_the_hold_is_the_sum(page, twilio_worker, ann):
    expected = expected_texts()
    parts = {number: count(text).segments for number, text in expected.items()}
    assert set(parts.values()) == {1, 2}  # the texts differ in length: the sum is not parts x recipients

    log_in(page, ann)
    page.goto("/sms/new/")
    page.get_by_label("Contacts and Lists").fill("team")
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("search-results").get_by_role("button", name="Add List Team").click()
    expect(page.get_by_test_id("recipients")).to_contain_text("List: Team")

    page.get_by_text("Recipients from a CSV").click()
    page.get_by_label("Paste the CSV").fill(CSV)
    page.get_by_role("button", name="Read the CSV").click()
    expect(page.get_by_test_id("csv-summary")).to_contain_text("2 recipients from the CSV.")
    expect(page.get_by_test_id("csv-summary")).to_contain_text("{city}")

    page.get_by_text("Templates", exact=True).click()
    page.get_by_label("Start from a template").select_option(label="Fair")
    page.get_by_role("button", name="Use", exact=True).click()
    expect(page.get_by_label("Message")).to_have_value(BODY)

    total = sum(parts.values())
    expect(page.get_by_test_id("parts")).to_have_text("1 to 2 parts a recipient")
    expect(page.get_by_test_id("credits")).to_have_text(f"{total} credits")
    previews = page.get_by_test_id("preview-text")
    expect(previews).to_have_count(3)
    expect(previews.first).to_contain_text("Hi friend, the fair is in Gent")
    expect(previews.nth(2)).to_contain_text("Hi Bob, the fair is in our shop")

    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sms/\d+/$"))
    expect(page.get_by_test_id("progress-text")).to_contain_text("5 of 5 accepted by the SMS centre", timeout=30_000)

    assert {request["To"]: request["Body"] for request in twilio_worker.requests} == expected
    message = Message.objects.get(user=ann)
    hold = Hold.objects.get(reference=message.hold_reference)
    assert message.credits_held == hold.monthly_amount + hold.provision_amount == total
    assert {r.to: r.parts for r in message.recipients.all()} == parts
