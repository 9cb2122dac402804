"""Replies as the user sees them: the message page, Replies, a conversation, the navigation's
unread count, answering, the opt-out list by hand, and the API."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from messaging.models import IncomingSMS, OptOut, OptOutChange, RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.incoming import incoming_receive
from tests.factories import UserFactory

BOB = "+32486112233"
STRANGER = "+32475123456"


@pytest.fixture
def conversation(sender, bob, run_on_commit):
    """Ann wrote to Bob (a contact) and to a number not in her books; both answered."""
    message = run_on_commit(message_send, user=sender, body="Lunch at noon?", to=[BOB, STRANGER])
    incoming_receive(gateway="default", from_number=STRANGER, text="Who is this?")
    incoming_receive(gateway="default", from_number=BOB, text="Yes!\u202eevil\x07")
    return message


def test_the_message_page_shows_each_reply_under_its_recipient(client_for, sender, conversation):
    page = client_for(sender).get(reverse("sms_detail", args=[conversation.pk])).content.decode()
    assert (
        page.index("+32 486 11 22 33")
        < page.index("Yes!")
        < page.index("+32 475 12 34 56")
        < page.index("Who is this?")
    )
    # Control characters are shown, not obeyed: the bell as its symbol, the direction override replaced.
    assert "Yes!\ufffdevil\u2407" in page and "\u202e" not in page and "\x07" not in page


def test_replies_lists_conversations_newest_first_with_contact_names_and_unread_counts(
    client_for, sender, conversation
):
    client = client_for(sender)
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread">2<' in home
    page = client.get(reverse("sms_replies")).content.decode()
    rows = page[page.index('data-testid="conversations"') :]
    assert rows.index("Bob Janssens") < rows.index("+32 475 12 34 56")
    assert "Yes!" in rows and "Who is this?" in rows


def test_opening_a_conversation_reads_it_and_offers_an_answer(client_for, sender, conversation, run_on_commit):
    client = client_for(sender)
    reply = IncomingSMS.objects.get(from_number=BOB)
    page = client.get(reverse("sms_conversation", args=[reply.pk])).content.decode()
    thread = page[page.index('data-testid="thread"') :]
    assert thread.index("Yes!") < thread.index("Lunch at noon?")  # newest first
    assert f"{reverse('sms_compose')}?to=%2B32486112233" in page
    assert 'data-testid="unread">1<' in client.get(reverse("home")).content.decode()  # Bob's read, the stranger's not

    # The answer is a normal send from the composer, and it joins the conversation.
    answer = client.get(f"{reverse('sms_compose')}?to=%2B32486112233").content.decode()
    assert "Bob Janssens" in answer
    run_on_commit(message_send, user=sender, body="See you there", to=[BOB])
    page = client.get(reverse("sms_conversation", args=[reply.pk])).content.decode()
    thread = page[page.index('data-testid="thread"') :]
    assert thread.index("See you there") < thread.index("Yes!") < thread.index("Lunch at noon?")


def test_another_users_conversation_does_not_exist_for_them(client_for, conversation):
    reply = IncomingSMS.objects.get(from_number=BOB)
    assert client_for(UserFactory()).get(reverse("sms_conversation", args=[reply.pk])).status_code == 404


def test_a_number_put_on_the_opt_out_list_by_hand_is_recorded_and_skipped_in_the_composer(client_for, sender, bob):
    client = client_for(sender)
    response = client.post(
        reverse("sms_optout_new"), {"number": "0486 11 22 33", "reason": "asked by phone"}, follow=True
    )
    assert "+32 486 11 22 33 is on the opt-out list" in response.content.decode()
    change = OptOutChange.objects.get()
    assert (change.number, change.actor, change.reason, change.action) == (BOB, sender, "asked by phone", "added")
    assert OptOut.objects.filter(number=BOB).exists()

    preview = client.post(
        reverse("sms_counter"), {"body": "Hi", "contact": [bob.pk], "to": [STRANGER]}
    ).content.decode()
    skipped = preview[preview.index('data-testid="skipped"') :]
    assert "Bob Janssens" in skipped and "opted out" in skipped


def test_a_bad_number_for_the_opt_out_list_is_a_form_error(client_for, sender):
    response = client_for(sender).post(reverse("sms_optout_new"), {"number": "12", "reason": "x"})
    assert response.status_code == 400
    assert not OptOut.objects.exists()


# The API.


@pytest.fixture
def api(client, sender):
    token = Token.objects.create(user=sender)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def test_the_api_lists_replies_and_marks_one_read(api, sender, conversation):
    body = api.get(reverse("api_replies")).json()
    assert body["count"] == 2
    newest = body["results"][0]
    assert {k: newest[k] for k in ("from", "contact_name", "text", "message", "read")} == {
        "from": BOB,
        "contact_name": "Bob Janssens",
        "text": "Yes!\u202eevil\x07",
        "message": conversation.pk,
        "read": False,
    }
    assert body["results"][1]["contact_name"] is None
    assert api.post(reverse("api_reply_read", args=[newest["id"]])).status_code == 204
    assert [r["read"] for r in api.get(reverse("api_replies")).json()["results"]] == [True, False]


def test_the_send_api_lists_an_opted_out_number_as_skipped(api, sender):
    incoming_receive(gateway="default", from_number=BOB, text="STOP")
    response = api.post(
        reverse("api_messages"), {"to": [BOB, STRANGER], "body": "Offer"}, content_type="application/json"
    )
    assert response.status_code == 202
    recipients = {r["to"]: (r["status"], r["reason"]) for r in response.json()["recipients"]}
    assert recipients[BOB] == (RecipientStatus.SKIPPED, "opted out")
    assert response.json()["credits_held"] == 1
