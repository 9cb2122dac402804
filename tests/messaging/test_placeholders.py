"""Placeholders: each recipient's text from its own values, the exact hold, the refusals, the preview."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import ContactList, ListMember
from accounts.services import PhoneEntry, address_books_ensure, contact_save
from credits.models import CreditAccount, Hold
from messaging.models import Message, RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.planning import CsvRow, SendRefused
from tests.credits.helpers import assert_ledger_consistent

LONG = "x" * 140  # with a long first name the text passes 160 characters: two parts


@pytest.fixture
def team(sender):
    """A List of three: Bob (short name), Maximiliaan (a name that makes a 2-part text), Zoë's number only."""
    book = address_books_ensure(user=sender)[0]
    bob = contact_save(book=book, name="Bob Janssens", phone_entries=[PhoneEntry("mobile", "", "+32486112233")])
    max_ = contact_save(
        book=book,
        name="Maximiliaan-Alexander-Ferdinand Van den Bossche",
        organisation="ACME",
        phone_entries=[PhoneEntry("mobile", "", "+32486445566")],
    )
    team = ContactList.objects.create(owner=sender, name="Team")
    ListMember.objects.create(contact_list=team, contact=bob)
    ListMember.objects.create(contact_list=team, contact=max_)
    ListMember.objects.create(contact_list=team, phone="+32475999888")
    return team


def test_each_recipient_gets_its_own_text_and_the_hold_is_the_sum_of_their_parts(
    sender, team, run_on_commit, locmem_gateway
):
    body = "Hello {first_name|there}, " + "y" * 125
    message = run_on_commit(
        message_send, with_placeholders=True, user=sender, body=body, list_ids=[team.pk], with_signature=False
    )
    sent = {sms.to: sms.text for sms in locmem_gateway.outbox}
    assert sent == {
        "+32486112233": "Hello Bob, " + "y" * 125,
        "+32486445566": "Hello Maximiliaan-Alexander-Ferdinand, " + "y" * 125,
        "+32475999888": "Hello there, " + "y" * 125,
    }
    parts = {r.to: r.parts for r in message.recipients.all()}
    assert parts == {"+32486112233": 1, "+32486445566": 2, "+32475999888": 1}
    # The hold was the sum (4), not parts x recipients (2 x 3 = 6); all captured.
    hold = Hold.objects.get(reference=message.hold_reference)
    assert message.credits_held == 4 and hold.monthly_amount + hold.provision_amount == 4
    account = CreditAccount.objects.get(user=sender)
    assert account.monthly_remaining == 16 and account.monthly_held == 0
    assert_ledger_consistent(account)


def test_a_placeholder_without_value_or_fallback_refuses_naming_the_recipients(sender, team):
    with pytest.raises(SendRefused) as refused:
        message_send(
            with_placeholders=True, user=sender, body="Hi {first_name}, see you at {organisation}", list_ids=[team.pk]
        )
    reasons = [p.reason for p in refused.value.problems]
    assert any("{first_name}" in r and "+32 475 99 98 88" in r for r in reasons)
    assert any("{organisation}" in r and "Bob Janssens" in r and "+32 475 99 98 88" in r for r in reasons)
    assert not any("Maximiliaan" in r for r in reasons)
    assert not Message.objects.exists() and not Hold.objects.exists()


def test_typed_numbers_have_no_values_only_fallbacks(sender, bob, run_on_commit, locmem_gateway):
    run_on_commit(
        message_send,
        with_placeholders=True,
        user=sender,
        body="Dear {name|customer}",
        to=["+32486112233", "+32475123456"],
        with_signature=False,
    )
    assert sorted(sms.text for sms in locmem_gateway.outbox) == ["Dear customer", "Dear customer"]
    with pytest.raises(SendRefused, match="no value for"):
        message_send(with_placeholders=True, user=sender, body="Dear {name}", to=["+32475123456"])


def test_a_contact_added_by_itself_has_its_values(sender, bob, run_on_commit, locmem_gateway):
    run_on_commit(
        message_send,
        with_placeholders=True,
        user=sender,
        body="Dear {last_name}",
        contact_ids=[bob.pk],
        with_signature=False,
    )
    assert [sms.text for sms in locmem_gateway.outbox] == ["Dear Janssens"]


def test_an_unknown_placeholder_is_named_with_what_it_may_mean(sender, bob):
    with pytest.raises(SendRefused) as refused:
        message_send(with_placeholders=True, user=sender, body="Hi {frist_name}", contact_ids=[bob.pk])
    reasons = [p.reason for p in refused.value.problems]
    assert reasons == ["Unknown placeholder {frist_name}: did you mean {first_name}?"]


def test_csv_columns_are_placeholders(sender, run_on_commit, locmem_gateway):
    rows = [
        CsvRow("+32475000001", 2, {"first_name": "Lea", "city": "Gent"}),
        CsvRow("0475 00 00 02", 3, {"first_name": "Tom", "city": ""}),
    ]
    message = run_on_commit(
        message_send,
        with_placeholders=True,
        user=sender,
        body="{first_name}, meet us in {city|Brussels}",
        csv_rows=rows,
    )
    assert sorted(sms.text for sms in locmem_gateway.outbox) == [
        "Lea, meet us in Gent\nAnn",
        "Tom, meet us in Brussels\nAnn",
    ]
    assert message.credits_held == 2


def test_a_text_too_long_for_one_recipient_is_refused(sender, team):
    body = "{first_name|x}" + "z" * 1500
    with pytest.raises(SendRefused, match="at most 10 are allowed"):
        message_send(with_placeholders=True, user=sender, body=body, list_ids=[team.pk])


@pytest.fixture
def client_(client, sender):
    client.force_login(sender)
    return client


def test_the_counter_shows_the_range_the_exact_total_and_a_preview(client_, team):
    body = "Hello {first_name|there}, " + "y" * 125
    page = client_.post(
        reverse("sms_counter"), {"body": body, "list": team.pk, "idempotency_key": "k"}
    ).content.decode()
    assert "1 to 2 parts a recipient" in page
    assert "4 credits" in page
    assert page.count('data-testid="preview-text"') == 3
    assert "Hello Maximiliaan-Alexander-Ferdinand, " in page and "Hello there, " in page


def test_the_composer_names_unknown_placeholders_and_recipients_lacking_a_value_before_send(client_, team):
    page = client_.post(
        reverse("sms_counter"), {"body": "Hi {frist_name} of {organisation}", "list": team.pk}
    ).content.decode()
    assert "Unknown placeholder {frist_name}: did you mean {first_name}?" in page
    assert "{organisation} has no value for Bob Janssens, +32 475 99 98 88" in page
    response = client_.post(
        reverse("sms_compose"),
        {"body": "Hi {first_name}", "list": team.pk, "action": "send", "idempotency_key": "k"},
    )
    assert response.status_code == 400
    assert "{first_name} has no value for +32 475 99 98 88" in response.content.decode()
    assert not Message.objects.exists()


def test_the_api_takes_placeholders_and_gives_each_recipients_parts_and_text(sender, team, client, run_on_commit):
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=sender).key}"}
    body = {"lists": [team.pk], "body": "Hello {first_name|there}, " + "y" * 125, "signature": False}
    response = run_on_commit(client.post, reverse("api_messages"), body, content_type="application/json", **auth)
    assert response.status_code == 202, response.content
    assert response.json()["credits_held"] == 4
    detail = client.get(reverse("api_message", args=[response.json()["id"]]), **auth).json()
    got = {r["to"]: (r["parts"], r["text"][:12]) for r in detail["recipients"]}
    assert got == {
        "+32486112233": (1, "Hello Bob, y"),
        "+32486445566": (2, "Hello Maximi"),
        "+32475999888": (1, "Hello there,"),
    }
    assert {r["status"] for r in detail["recipients"]} == {RecipientStatus.ACCEPTED}
    refused = client.post(
        reverse("api_messages"), {**body, "body": "Hi {first_name}"}, content_type="application/json", **auth
    )
    assert refused.status_code == 400 and "+32 475 99 98 88" in refused.json()["errors"][0]["reason"]


def test_texts_that_programs_write_are_sent_as_they_are(sender, run_on_commit, locmem_gateway):
    """The agenda and other programs' texts may hold braces: only the composer and the API read placeholders."""
    run_on_commit(message_send, user=sender, body="Meeting {room 2}, {day}", to=["+32475123456"], with_signature=False)
    assert [sms.text for sms in locmem_gateway.outbox] == ["Meeting {room 2}, {day}"]
