"""Sender identity (issue 19, item 6): alphanumeric sender IDs asked for on Settings → Sender
IDs, approved in the admin, picked in the composer and the API; recipients in countries that
refuse names get the number; replies only ever route to SMS sent from the number."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import membership_add, organisation_create
from credits.services import account_for, credits_grant
from messaging.gateways.locmem import LocmemGateway
from messaging.models import Message, Recipient, SenderId
from messaging.senders import sender_id_problem
from messaging.services.incoming import incoming_receive
from messaging.services.senders import SenderIdRefused, sender_id_decide, sender_id_request
from tests.factories import UserFactory

BE, US, CA = "+32475123456", "+12025550123", "+14165550123"


@pytest.mark.parametrize("name", ["ACME", "Acme Shop", "A1", "ABCDEFGHIJK", "Shop 24"])
def test_names_twilio_takes_are_valid(name):
    assert sender_id_problem(name) == ""


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("ACME!", "contains !"),
        ("Café", "contains é"),
        ("ACME-SHOP", "contains -"),
        ("ACME\x00", "U+0000"),
        ("Twelve Chars", "has 12 characters"),
        ("123456", "has no letter"),
        ("", "Give a sender ID"),
        (" ACME", "no spaces at the ends"),
    ],
)
def test_bad_names_are_refused_with_the_reason(name, words):
    assert words in sender_id_problem(name)


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def acme(sender):
    """`sender` owns the organisation Acme, with a plain member."""
    organisation = organisation_create(name="Acme", owner=sender)
    member = UserFactory(username="mia", sms_signature="")
    membership_add(organisation=organisation, user=member, role=Role.MEMBER)
    credits_grant(account=account_for(user=sender), amount=50, reason="test", actor=None)
    return organisation


def approved(staff, *, user, name="ACME"):
    sender_id = sender_id_request(user=user, name=name, now=timezone.now())
    return sender_id_decide(sender_id=sender_id, approve=True, by=staff, now=timezone.now())


# --- asking and approving -----------------------------------------------------------


def test_a_user_outside_any_organisation_asks_on_the_settings_page(client, sender):
    client.force_login(sender)
    page = client.get(reverse("sender_ids"))
    assert "You have no sender ID yet." in page.content.decode()
    response = client.post(reverse("sender_ids"), {"name": "ACME"}, follow=True)
    assert "“ACME” is asked for" in response.content.decode()
    row = SenderId.objects.get()
    assert (row.name, row.user, row.organisation, row.status, row.requested_by) == (
        "ACME",
        sender,
        None,
        "requested",
        sender,
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [("ACME&CO!", "contains &amp; !"), ("Acme Company", "has 12 characters"), ("2024", "has no letter")],
)
def test_a_bad_name_is_a_400_with_the_reason_and_nothing_stored(client, sender, name, words):
    client.force_login(sender)
    response = client.post(reverse("sender_ids"), {"name": name})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not SenderId.objects.exists()


def test_owners_ask_for_their_organisation_and_plain_members_cannot(client, acme, sender):
    client.force_login(sender)
    client.post(reverse("sender_ids"), {"name": "ACME"})
    assert SenderId.objects.get().organisation == acme
    mia = acme.memberships.get(role=Role.MEMBER).user
    client.force_login(mia)
    page = client.get(reverse("sender_ids")).content.decode()
    assert "ACME" in page and "The owners and admins of Acme ask for its sender IDs" in page
    response = client.post(reverse("sender_ids"), {"name": "MIA"})
    assert response.status_code == 400
    assert "Only the owners and admins of Acme" in response.content.decode()
    assert SenderId.objects.count() == 1
    with pytest.raises(SenderIdRefused, match="asked for already"):
        sender_id_request(user=sender, name="acme", now=timezone.now())


def test_an_administrator_approves_or_refuses_in_the_admin_with_who_and_when(client, staff, sender):
    asked = sender_id_request(user=sender, name="ACME", now=timezone.now())
    other = sender_id_request(user=sender, name="BANK", now=timezone.now())
    client.force_login(staff)
    assert "ACME" in client.get(reverse("admin:messaging_senderid_changelist")).content.decode()
    url = reverse("admin:messaging_senderid_change", args=[asked.pk])
    assert client.post(url, {"decision": "approve", "because": ""}).status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.decided_by) == ("approved", staff)
    assert timezone.now() - asked.decided_at < dt.timedelta(minutes=1)
    # A refusal says why; without a reason it is refused itself.
    url = reverse("admin:messaging_senderid_change", args=[other.pk])
    assert "Say why" in client.post(url, {"decision": "refuse", "because": ""}).content.decode()
    client.post(url, {"decision": "refuse", "because": "Names of banks are not allowed."})
    other.refresh_from_db()
    assert (other.status, other.reason) == ("refused", "Names of banks are not allowed.")
    client.force_login(sender)
    page = client.get(reverse("sender_ids")).content.decode()
    assert "Names of banks are not allowed." in page
    with pytest.raises(SenderIdRefused, match="installation administrator"):
        sender_id_decide(sender_id=other, approve=True, by=sender, now=timezone.now())


# --- sending --------------------------------------------------------------------------


@pytest.fixture
def api(sender):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sender).key}")
    return client


def test_the_api_sends_as_the_name_and_falls_back_to_the_number_in_the_us(
    api, staff, sender, django_capture_on_commit_callbacks
):
    approved(staff, user=sender)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            reverse("api_messages"), {"to": [BE, US, CA], "body": "Sale", "sender": "ACME"}, format="json"
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["sender"] == "ACME"
    assert {r["to"]: r["sender"] for r in body["recipients"]} == {BE: "ACME", US: "", CA: ""}
    handed = {sms.to: sms.sender for sms in LocmemGateway.of("sms").outbox}
    assert handed == {BE: "ACME", US: "", CA: ""}


def test_the_refused_countries_are_a_setting(api, staff, sender, settings, django_capture_on_commit_callbacks):
    settings.SMS_ALPHANUMERIC_SENDER_REFUSED_COUNTRIES = ["BE"]
    approved(staff, user=sender)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(reverse("api_messages"), {"to": [BE, US], "body": "Sale", "sender": "ACME"}, format="json")
    assert {sms.to: sms.sender for sms in LocmemGateway.of("sms").outbox} == {BE: "", US: "ACME"}


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("BANK", "“BANK” is not a sender ID approved for you"),  # asked for, not approved
        ("OTHER", "“OTHER” is not a sender ID approved for you"),  # another user's
        ("ACME!", "contains !"),
        ("Acme Company", "has 12 characters"),
    ],
)
def test_the_api_refuses_a_sender_that_is_not_approved_for_the_user(api, staff, sender, name, words):
    approved(staff, user=sender)
    sender_id_request(user=sender, name="BANK", now=timezone.now())
    approved(staff, user=UserFactory(username="olga"), name="OTHER")
    response = api.post(reverse("api_messages"), {"to": [BE], "body": "Sale", "sender": name}, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["input"]) == ("sender", name)
    assert words in error["reason"]
    assert not Message.objects.exists()


def test_members_send_as_their_organisations_name_and_another_organisation_cannot(
    client, acme, staff, sender, run_on_commit
):
    approved(staff, user=sender)
    mia = acme.memberships.get(role=Role.MEMBER).user
    client.force_login(mia)
    data = {"to": [BE], "body": "Hello", "sender": "ACME", "action": "send", "idempotency_key": "k1"}
    response = run_on_commit(client.post, reverse("sms_compose"), data)
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.user, message.sender, message.recipients.get().sender) == (mia, "ACME", "ACME")
    # Someone of another organisation naming it is refused on the page too.
    outsider = UserFactory(username="otto")
    credits_grant(account=account_for(user=outsider), amount=5, reason="test", actor=None)
    client.force_login(outsider)
    response = client.post(reverse("sms_compose"), {**data, "idempotency_key": "k2"})
    assert response.status_code == 400
    assert "is not a sender ID approved for you" in response.content.decode()
    assert Message.objects.count() == 1


def test_the_composer_says_whom_recipients_see_and_who_gets_the_number(client, staff, sender):
    approved(staff, user=sender)
    client.force_login(sender)
    page = client.get(reverse("sms_compose")).content.decode()
    assert '<option value="ACME">ACME</option>' in page
    assert "Recipients will see the server's number and can reply to it." in page
    counter = client.post(reverse("sms_counter"), {"to": [BE, US], "body": "Sale", "sender": "ACME"}).content.decode()
    assert "Recipients will see “ACME”; they cannot reply to a name." in counter
    assert "1 recipient is in a country whose carriers refuse names (United States, Canada)" in counter
    assert "+1 202-555-0123" in counter
    only_be = client.post(reverse("sms_counter"), {"to": [BE], "body": "Sale", "sender": "ACME"}).content.decode()
    assert "cannot reply to a name" in only_be and "refuse names" not in only_be


def test_a_user_without_a_sender_id_sees_no_sender_choice(client, sender):
    client.force_login(sender)
    page = client.get(reverse("sms_compose")).content.decode()
    assert 'name="sender"' not in page


def test_the_message_page_shows_the_name_and_who_got_the_number(client, staff, sender, run_on_commit):
    approved(staff, user=sender)
    client.force_login(sender)
    data = {"to": [BE, US], "body": "Sale", "sender": "ACME", "action": "send", "idempotency_key": "k"}
    page = run_on_commit(client.post, reverse("sms_compose"), data, follow=True).content.decode()
    assert "Sent as “ACME”: recipients cannot reply to it." in page
    assert page.count('data-testid="from-number"') == 1


# --- replies ----------------------------------------------------------------------------


def test_a_reply_never_routes_to_an_sms_sent_under_a_name(staff, sender, run_on_commit):
    """Ben wrote to the number from the server's number two days ago; Ann sent under "ACME"
    since. The number's reply answers Ben's SMS: nobody can answer a name."""
    from messaging.services.accepting import message_send

    approved(staff, user=sender)
    ben = UserFactory(username="ben", sms_signature="")
    credits_grant(account=account_for(user=ben), amount=5, reason="test", actor=None)
    bens = run_on_commit(message_send, user=ben, body="From the number", to=[BE])
    Recipient.objects.filter(message=bens).update(claimed_at=timezone.now() - dt.timedelta(days=2))
    anns = run_on_commit(message_send, user=sender, body="From a name", to=[BE], sender="ACME")
    assert anns.recipients.get().claimed_at > bens.recipients.get().claimed_at
    received = incoming_receive(gateway="default", from_number=BE, text="Who is this?", provider_id="p1")
    assert (received.incoming.user, received.incoming.recipient.message) == (ben, bens)
    # Only a name sent to it: the reply matches nobody (the administrators' inbox).
    alone = "+32486112233"
    run_on_commit(message_send, user=sender, body="From a name", to=[alone], sender="ACME")
    lost = incoming_receive(gateway="default", from_number=alone, text="?", provider_id="p2")
    assert lost.incoming.user is None
