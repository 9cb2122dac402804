"""One state a person understands for each message, derived from its recipients (issue 17, item 2).

Seen the same on the Sent SMS list, its state filter, the message page and the API.
"""

import datetime as dt
from itertools import combinations_with_replacement

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging.gateways.base import Outcome, SendResult, StatusUpdate
from messaging.models import Message, MessageStatus, Recipient, RecipientStatus
from messaging.selectors import LOST, UNSETTLED, MessageState, messages_search, with_state
from messaging.services.accepting import message_send
from messaging.services.reports import status_updates_apply


@pytest.fixture
def client_(client, sender):
    client.force_login(sender)
    return client


def deliver(message, status=RecipientStatus.DELIVERED, only=None):
    pids = [r.provider_id for r in message.recipients.all() if only is None or r.to in only]
    status_updates_apply(updates=[StatusUpdate(pid, status) for pid in pids])


def test_a_delivered_sms_says_delivered_on_the_list_its_page_and_the_api(client_, sender, run_on_commit):
    message = run_on_commit(message_send, user=sender, body="Delivered one", to=["+32475123456"])
    deliver(message)
    listing = client_.get(reverse("sms_history")).content.decode()
    assert 'data-state="delivered"' in listing and 'data-state="sending"' not in listing
    detail = client_.get(reverse("sms_detail", args=[message.pk])).content.decode()
    assert 'data-testid="message-state">delivered<' in detail
    assert "recipients answered" not in detail
    assert "1 of 1 delivery reports received" in detail
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sender).key}")
    assert api.get(reverse("api_message", args=[message.pk])).json()["status"] == "delivered"


def test_each_state_is_named_and_the_filter_finds_it(client_, sender, run_on_commit, locmem_gateway):
    sent = run_on_commit(message_send, user=sender, body="Accepted only", to=["+32475123456"])
    delivered = run_on_commit(message_send, user=sender, body="All delivered", to=["+32475123457"])
    deliver(delivered)
    partly = run_on_commit(
        message_send, user=sender, body="Some lost", to=["+32475123458", "+32475123459", "+32475123450"]
    )
    deliver(partly, only={"+32475123458", "+32475123459"})
    deliver(partly, RecipientStatus.UNDELIVERED, only={"+32475123450"})
    locmem_gateway.script = lambda sms: SendResult(Outcome.FAILED, reason="blocked")
    failed = run_on_commit(message_send, user=sender, body="All failed", to=["+32475123451"])
    waiting = message_send(user=sender, body="Still going", to=["+32475123452"])  # not dispatched
    later = message_send(
        user=sender, body="Tomorrow", to=["+32475123453"], send_at=timezone.now() + dt.timedelta(days=1)
    )

    def bodies(state):
        response = client_.get(reverse("sms_history"), {"state": state})
        assert response.status_code == 200
        return {m.body for m in response.context["page"].object_list}

    assert bodies("sent") == {sent.body}
    assert bodies("delivered") == {delivered.body}
    assert bodies("partly_failed") == {partly.body}
    assert bodies("failed") == {failed.body}
    assert bodies("sending") == {waiting.body}
    assert bodies("scheduled") == {later.body}
    listing = client_.get(reverse("sms_history")).content.decode()
    assert "1 of 3 not delivered" in listing
    filtered = client_.get(reverse("sms_history"), {"state": "delivered"}).content.decode()
    assert 'data-state="sending"' not in filtered and 'data-state="delivered"' in filtered
    detail = client_.get(reverse("sms_detail", args=[partly.pk])).content.decode()
    assert "partly failed" in detail and "1 of 3 not delivered" in detail


def test_scheduled_recipients_say_scheduled_not_queued(client_, sender):
    later = message_send(
        user=sender, body="Tomorrow", to=["+32475123453"], send_at=timezone.now() + dt.timedelta(days=1)
    )
    detail = client_.get(reverse("sms_detail", args=[later.pk])).content.decode()
    assert ">scheduled</td>" in detail and ">queued</td>" not in detail


def expected_state(message_status, statuses):
    """The rule as the issue states it, written plainly: the oracle for the SQL in with_state()."""
    if message_status == MessageStatus.CANCELED:
        return MessageState.CANCELED
    if message_status == MessageStatus.SCHEDULED:
        return MessageState.SCHEDULED
    sent_to = [s for s in statuses if s != RecipientStatus.SKIPPED]
    lost = [s for s in sent_to if s in LOST]
    if any(s in UNSETTLED for s in sent_to):
        return MessageState.SENDING
    if len(lost) == len(sent_to):
        return MessageState.FAILED
    if lost:
        return MessageState.PARTLY_FAILED
    if all(s == RecipientStatus.DELIVERED for s in sent_to):
        return MessageState.DELIVERED
    return MessageState.SENT


def test_every_mix_of_recipient_states_gives_the_state_the_rule_says_and_the_filter_finds_it(sender):
    """All pairs of recipient states (and single ones), on a sending message, plus canceled and scheduled."""
    mixes = [(m, ()) for m in (MessageStatus.CANCELED, MessageStatus.SCHEDULED)]
    mixes += [(MessageStatus.SENDING, mix) for n in (1, 2) for mix in combinations_with_replacement(RecipientStatus, n)]
    expected = {}
    for message_status, statuses in mixes:
        message = Message.objects.create(
            user=sender, body="x", text="x", encoding="GSM-7", segments=1, credits_held=0, gateway="locmem",
            status=message_status,
        )  # fmt: skip
        Recipient.objects.bulk_create(Recipient(message=message, to="+32475123456", status=s) for s in statuses)
        expected[message.pk] = (expected_state(message_status, statuses), statuses)

    found = {m.pk: m for m in with_state(Message.objects.filter(user=sender))}
    for pk, (state, statuses) in expected.items():
        assert found[pk].state == state, statuses
        assert found[pk].recipient_count == sum(s != RecipientStatus.SKIPPED for s in statuses)
        assert found[pk].lost_count == sum(s in LOST for s in statuses)
        assert found[pk].delivered_count == statuses.count(RecipientStatus.DELIVERED)
        assert found[pk].skipped_count == statuses.count(RecipientStatus.SKIPPED)
    for state in MessageState.values:
        filtered = set(messages_search(user=sender, state=state).values_list("pk", flat=True))
        assert filtered == {pk for pk, (expected_for, _) in expected.items() if expected_for == state}, state
