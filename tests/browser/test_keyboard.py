"""Keyboard use of the SMS composer: after Add or Search the page comes back with the
focus in the field the person was typing in, so they type the next number at once."""

import pytest
from playwright.sync_api import expect

from accounts.services import PhoneEntry, address_books_ensure, contact_save
from tests.browser.test_contacts_journey import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_focus_returns_to_the_field_after_add_and_after_search(page):
    user = UserFactory(default_country="BE")
    book = address_books_ensure(user=user)[0]
    contact_save(
        book=book,
        name="Bob Janssens",
        phone_entries=[PhoneEntry(label="mobile", raw="+32475123456", e164="+32475123456")],
    )
    log_in(page, user)
    page.goto("/sms/new/")

    mobile = page.get_by_label("Mobile", exact=True)
    mobile.fill("0475 11 22 33")
    mobile.press("Enter")
    expect(page.get_by_test_id("recipients")).to_contain_text("+32 475 11 22 33")
    expect(page.get_by_label("Mobile", exact=True)).to_be_focused()

    search = page.get_by_label("Contacts and Lists")
    search.fill("bob")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("search-results")).to_contain_text("Bob Janssens")
    expect(page.get_by_label("Contacts and Lists")).to_be_focused()

    page.get_by_test_id("search-results").get_by_role("button", name="Add Bob Janssens").click()
    expect(page.get_by_test_id("recipients")).to_contain_text("Bob Janssens")
    expect(page.get_by_label("Contacts and Lists")).to_be_focused()
