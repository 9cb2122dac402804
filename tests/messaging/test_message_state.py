"""One state a person understands for each message, derived from its recipients (issue 17, item 2).

Seen the same on the Sent SMS list, its state filter, the message page and the API.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging.gateways.base import Outcome, SendResult, StatusUpdate
from messaging.models import RecipientStatus
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
