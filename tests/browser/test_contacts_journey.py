"""A person logs in, adds a contact with a mobile number, and starts an SMS from it."""

import re

import pytest
from playwright.sync_api import expect

from accounts.services import address_books_ensure, contact_save
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()


def test_log_in_add_a_contact_and_click_its_mobile_number(page, settings):
    user = UserFactory(full_name="Ann Peeters", default_country="BE")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("user-name")).to_have_text("Ann Peeters")

    page.get_by_role("link", name="Contacts").first.click()
    page.get_by_role("button", name="New contact").click()
    page.get_by_label("Name:", exact=True).fill("Bob Janssens")
    page.locator("#id_phones-0-number").fill("0475 12 34 56")
    page.locator("#id_phones-1-label").select_option("home")
    page.locator("#id_phones-1-number").fill("+32 2 555 12 12")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Bob Janssens")).to_be_visible()
    phones = page.get_by_test_id("phones")
    expect(phones.get_by_role("link")).to_have_count(1)
    expect(phones).to_contain_text("No SMS: labelled home, not mobile.")
    page.screenshot(path=str(settings.VAR_DIR / "browser-contact.png"), full_page=True)

    phones.get_by_role("link", name="+32 475 12 34 56").click()
    expect(page.get_by_test_id("recipients")).to_contain_text("+32 475 12 34 56")
    expect(page.get_by_test_id("recipients")).to_contain_text("Bob Janssens")


def test_a_wrong_number_is_explained_next_to_the_field(page):
    log_in(page, UserFactory())
    page.goto("/settings/personal/")
    page.get_by_label("Mobile number").fill("+32 2 555 12 12")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text("+32 2 555 12 12 is not a mobile number")
    expect(page.get_by_label("Mobile number")).to_have_value("+32 2 555 12 12")


def test_contact_search_follows_the_typing(page):
    user = UserFactory()
    book = address_books_ensure(user=user)[0]
    for name in ("Ann Peeters", "Bob Janssens", "Claire Dupont"):
        contact_save(book=book, name=name)
    log_in(page, user)
    page.goto("/contacts/")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    page.get_by_role("searchbox").press_sequentially("jans", delay=50)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Bob Janssens")
    expect(page).to_have_url(re.compile(r"q=jans"))
