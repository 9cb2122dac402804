"""A person imports an Outlook vCard and a Google calendar and reads what was not taken as is."""

import os

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

from .test_contacts_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTLOOK_CARDS = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Doe;John\r\nFN:John Doe\r\n"
    "LABEL;WORK;ENCODING=QUOTED-PRINTABLE:Main Street 1=0D=0A=\r\nAlbany=0D=0A=\r\nUSA\r\n"
    'TEL;CELL:+32 475 12 34 56\r\nTEL;WORK:p1234p5678w9\r\nEMAIL:"John" <john@example.com>\r\nEND:VCARD\r\n'
)
GOOGLE_CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
    "BEGIN:VEVENT\r\nUID:a@google.com\r\nSUMMARY:Deadline\r\nDTSTART:20270607T150000Z\r\nDTEND:20270607T150000Z\r\n"
    "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:b@google.com\r\nSUMMARY:Old course\r\n"
    "DTSTART;TZID=Europe/Brussels:20270607T090000\r\nRRULE:FREQ=WEEKLY;UNTIL=20270101T000000Z\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def shoot(page, name):
    # SCREENSHOTS=/some/dir keeps what a person would see, at desktop and phone widths.
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)


def test_an_outlook_card_is_imported_with_its_unreadable_number_named(page, tmp_path):
    user = UserFactory(full_name="Ann Peeters", default_country="BE")
    log_in(page, user)
    page.goto("/contacts/import/")
    path = tmp_path / "outlook.vcf"
    path.write_text(OUTLOOK_CARDS)
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("import-report")).to_contain_text("1 contact imported.")
    expect(page.get_by_test_id("import-notes")).to_contain_text("Line 9: “p1234p5678w9” is not a phone number")
    shoot(page, "contact-import")


def test_a_google_calendar_is_imported_and_a_never_happening_series_is_named(page, tmp_path):
    user = UserFactory(full_name="Ann Peeters", time_zone="Europe/Brussels")
    log_in(page, user)
    page.goto("/calendar/import/")
    path = tmp_path / "google.ics"
    path.write_text(GOOGLE_CALENDAR)
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".messages")).to_contain_text("1 event imported.")
    expect(page.locator(".messages")).to_contain_text("“Old course” repeats until a date before it starts")
    shoot(page, "calendar-import")
