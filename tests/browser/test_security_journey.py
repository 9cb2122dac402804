"""Pages outside the main journeys, in a real browser under our Content-Security-Policy.

The `page` fixture fails a test on any CSP violation the browser reports, so each of
these also proves the page needs no inline script or style.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.test_contacts_journey import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_uses_the_admin_console(page):
    admin = UserFactory(is_staff=True, is_superuser=True)
    UserFactory(username="bob.janssens")
    page.goto("/admin/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/accounts/user/")
    page.get_by_role("link", name="bob.janssens").click()
    expect(page.locator("#id_username")).to_have_value("bob.janssens")
    page.goto("/admin/axes/accessfailurelog/")
    expect(page.get_by_role("heading", name="Select access failure to change")).to_be_visible()


def test_the_api_documentation_renders(page):
    log_in(page, UserFactory())
    page.goto("/api/docs/")
    expect(page.get_by_text("SMS Office API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/messages/").first).to_be_visible()


def test_wrong_passwords_lead_to_the_lockout_page(page, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    expect(page.get_by_role("link", name="Reset your password")).to_be_visible()
