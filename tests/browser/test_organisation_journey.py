"""An owner invites a member, the member accepts and sends, the owner sees the use and exports the CSV."""

import csv
import io
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.services import organisation_create
from credits.models import Plan
from tests.browser.test_contacts_journey import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_an_owner_invites_the_member_sends_the_owner_sees_the_use_and_exports(browser, live_server, page):
    Plan.objects.create(name="Team", monthly_allowance=100, is_default=True)
    owner = UserFactory(full_name="Olga Owner", default_country="BE")
    organisation_create(name="Acme", owner=owner)
    log_in(page, owner)
    page.goto("/settings/organisation/")
    invite = page.get_by_test_id("invite-form")
    invite.get_by_label("Email address").fill("max@example.org")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_test_id("invitations")).to_contain_text("max@example.org")
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/invitations/" in line)

    # The invited person has no account yet: they make one from the link, and join.
    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    guest = other.new_page()
    guest.goto(link)
    guest.get_by_label("User name").fill("max")
    guest.get_by_label("Full name").fill("Max Member")
    guest.get_by_label("Password").fill("a long passphrase 42")
    guest.get_by_role("button", name="Make my account and join").click()
    expect(guest.get_by_test_id("members")).to_contain_text("Olga Owner")
    guest.goto("/sms/new/")
    guest.get_by_label("Mobile").fill("0475 12 34 56")
    guest.get_by_role("button", name="Add", exact=True).first.click()
    guest.get_by_label("Message").fill("Meeting moved to 3 pm")
    guest.get_by_role("button", name="Send", exact=True).click()
    expect(guest).to_have_url(re.compile(r"/sms/\d+/"))
    other.close()

    # The owner sees Max's use beside the pool, and downloads the month's SMS.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/settings/quotas/")
    expect(page.get_by_test_id("pool-banner")).to_contain_text("Acme")
    table = page.get_by_test_id("member-usage-table")
    expect(table.get_by_role("row", name=re.compile("Max Member"))).to_contain_text("1")
    with page.expect_download() as download_info:
        page.get_by_test_id("export").get_by_role("link").first.click()
    with open(download_info.value.path(), encoding="utf-8-sig") as downloaded:  # the export starts with a BOM
        rows = list(csv.reader(io.StringIO(downloaded.read())))
    assert rows[0][:2] == ["date", "member"] and rows[1][1] == "Max Member" and rows[1][3:5] == ["1", "1"]
