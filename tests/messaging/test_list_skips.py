"""A List member that cannot take SMS is skipped with its reason, not a refusal of the send (issue 17, item 3).

One rule for the SMS composer, the API and the Messages tool (accounts.selectors.list_member_mobile).
"""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import ContactList, ListMember
from accounts.services import PhoneEntry, address_books_ensure, contact_save
from broadcasts.services import Draft, broadcast_plan
from credits.models import CreditAccount
from messaging.models import Message, RecipientStatus

LANDLINE = "+3225551212"


@pytest.fixture
def team(sender, bob):
    """Bob (a mobile), a free landline number, and a contact whose only number is a landline."""
    book = address_books_ensure(user=sender)[0]
    office = contact_save(
        book=book,
        name="Office Desk",
        phone_entries=[PhoneEntry(label="work", raw="+32 2 555 13 13", e164="+3225551313")],
    )
    team = ContactList.objects.create(owner=sender, name="Team")
    ListMember.objects.create(contact_list=team, contact=bob)
    ListMember.objects.create(contact_list=team, phone=LANDLINE)
    ListMember.objects.create(contact_list=team, contact=office)
    return team


@pytest.fixture
def client_(client, sender):
    client.force_login(sender)
    return client


@pytest.fixture
def api(sender):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sender).key}")
    return client


def form(**fields):
    data = {"body": "", "with_signature": "on", "idempotency_key": "k1", "action": "send"}
    data.update(fields)
    return data


def test_the_composer_sends_to_the_reachable_and_names_the_skipped(client_, sender, team):
    counter = client_.post(reverse("sms_counter"), form(body="hi", list=team.pk, with_signature="")).content.decode()
    assert "1 recipient " in counter and "1 credit<" in counter
    assert "+32 2 555 12 12" in counter and "a fixed-line number, not a mobile" in counter
    assert "Office Desk" in counter
    response = client_.post(reverse("sms_compose"), form(body="hi", list=team.pk, with_signature=""))
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.credits_held == 1
    assert CreditAccount.objects.get(user=sender).monthly_held == 1
    states = dict(message.recipients.values_list("to", "status"))
    assert states[LANDLINE] == RecipientStatus.SKIPPED
    assert states["+32486112233"] == RecipientStatus.QUEUED
    page = client_.get(reverse("sms_detail", args=[message.pk])).content.decode()
    assert "a fixed-line number, not a mobile" in page and "skipped" in page
    assert "Credit: 0 used, 0 given back, 1 still held." in page


def test_the_api_lists_skipped_members_and_holds_no_credit_for_them(api, sender, team):
    response = api.post(reverse("api_messages"), {"lists": [team.pk], "body": "hi", "signature": False}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["credits_held"] == 1
    skipped = [r for r in body["recipients"] if r["status"] == "skipped"]
    assert {r["to"] for r in skipped} >= {LANDLINE}
    assert len(skipped) == 2 and all(r["reason"] for r in skipped)
    assert CreditAccount.objects.get(user=sender).monthly_held == 1


def test_a_send_where_nobody_is_reachable_is_still_refused(api, sender):
    only_landlines = ContactList.objects.create(owner=sender, name="Desks")
    ListMember.objects.create(contact_list=only_landlines, phone=LANDLINE)
    response = api.post(reverse("api_messages"), {"lists": [only_landlines.pk], "body": "hi"}, format="json")
    assert response.status_code == 400
    assert "a fixed-line number, not a mobile" in response.json()["detail"]
    assert not Message.objects.exists()


def test_the_messages_tool_and_the_sms_send_skip_by_the_same_rule(client_, sender, team):
    plan = broadcast_plan(user=sender, draft=Draft(body="hi", channels=["sms"], list_ids=[team.pk]))
    tool = {copy.person.name: copy.skip_reason for copy in plan.skipped("sms")}
    counter = client_.post(reverse("sms_counter"), form(body="hi", list=team.pk)).content.decode()
    for name, reason in tool.items():
        assert reason in counter, (name, reason)
    assert tool["+32 2 555 12 12"] == "a fixed-line number, not a mobile"


def test_adding_a_landline_to_a_list_warns_at_once(client_, sender):
    team = ContactList.objects.create(owner=sender, name="Team")
    response = client_.post(reverse("list_detail", args=[team.pk]), {"entry": "+32 2 555 12 12"}, follow=True)
    page = response.content.decode()
    assert "+32 2 555 12 12 added" in page
    assert "cannot receive SMS" in page and "a fixed-line number, not a mobile" in page
    mobile = client_.post(reverse("list_detail", args=[team.pk]), {"entry": "+32 475 12 34 56"}, follow=True)
    assert "cannot receive SMS" not in mobile.content.decode()


def test_the_composer_list_row_says_how_many_members_are_skipped(client_, team):
    """Three members, two of them landlines: the List row says so before Send, not just "3 members"."""
    page = client_.post(reverse("sms_compose"), form(body="hi", action=f"add_list:{team.pk}")).content.decode()
    assert "List: Team" in page
    assert "3 members, 2 cannot take SMS (skipped)" in page
