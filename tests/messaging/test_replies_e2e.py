"""Replies and consent with real processes: PostgreSQL, a Redis broker, `celery worker`, the
Twilio SDK sending to a fake Twilio on loopback, and webhooks signed with the SDK's
RequestValidator."""

import datetime as dt
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from credits.models import CreditAccount, Plan
from credits.services import account_for, credits_grant
from messaging.models import Confirmation, IncomingSMS, RecipientStatus
from messaging.services.accepting import message_send
from tests.factories import UserFactory
from tests.fakes.twilio_server import FakeTwilio
from tests.workers import TWILIO_CREDENTIALS, wait_until, worker_environment

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
NUMBER = "+32475123456"
INCOMING = "http://testserver/webhooks/sms/default/incoming/"
STOP_TEXT = "You will no longer get SMS from this number. Reply START to get them again."
START_TEXT = "You will get SMS from this number again. Reply STOP to stop them."


@pytest.fixture
def pipeline(transactional_db, settings):
    with (
        FakeTwilio() as fake,
        worker_environment(SMS_GATEWAY="twilio", TWILIO_BASE_URL=fake.url, **TWILIO_CREDENTIALS) as workers,
    ):
        # This process checks the webhooks' signatures with the same credentials as the worker.
        options = {
            "ACCOUNT_SID": TWILIO_CREDENTIALS["TWILIO_ACCOUNT_SID"],
            "AUTH_TOKEN": TWILIO_CREDENTIALS["TWILIO_AUTH_TOKEN"],
            "FROM": TWILIO_CREDENTIALS["TWILIO_FROM"],
            "BASE_URL": fake.url,
            "INCOMING_URL": INCOMING,
        }
        settings.SMS_GATEWAYS = {"default": {"BACKEND": "messaging.gateways.twilio.TwilioGateway", "OPTIONS": options}}
        workers["start_worker"]()
        yield fake


def user_with_credit(name):
    user = UserFactory(username=name, sms_signature="")
    credits_grant(account=account_for(user=user), amount=10, reason="e2e", actor=None)
    return user


def sent(fake, body):
    """Who got `body` (the first line: a signature may follow)."""
    return [r["To"] for r in fake.requests if r["Body"].split("\n")[0] == body]


def webhook(client, text, sid):
    params = {"MessageSid": sid, "From": NUMBER, "To": "+3228880000", "Body": text}
    signature = RequestValidator(TWILIO_CREDENTIALS["TWILIO_AUTH_TOKEN"]).compute_signature(INCOMING, params)
    return client.post(reverse("sms_incoming", args=["default"]), params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_replies_stop_and_start_through_twilio_and_a_worker(pipeline, client):
    fake = pipeline
    Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
    users = [user_with_credit(name) for name in ("ann", "ben", "cas")]
    messages = [message_send(user=user, body=f"Hello from {user.username}", to=[NUMBER]) for user in users]
    wait_until(lambda: all(m.recipients.get().status == RecipientStatus.ACCEPTED for m in messages))
    # Sent on different days: ben's is the most recent, ann's is out of the 7-day window.
    for message, days in zip(messages, (9, 1, 4), strict=True):
        message.recipients.update(claimed_at=timezone.now() - dt.timedelta(days=days))

    assert webhook(client, "Who's this?", "SM" + "1" * 32).status_code == 200
    assert webhook(client, "Who's this?", "SM" + "1" * 32).status_code == 200  # Twilio retried
    assert webhook(client, "x", "SM" + "1" * 32).status_code == 200  # a replay is the first SMS, whatever it says
    reply = IncomingSMS.objects.get()
    assert (reply.user, reply.recipient.message, reply.text) == (users[1], messages[1], "Who's this?")

    # STOP: the number leaves every list; one confirmation goes out through the worker, paid by nobody.
    assert webhook(client, "Stop", "SM" + "2" * 32).status_code == 200
    assert webhook(client, "Stop", "SM" + "2" * 32).status_code == 200
    wait_until(lambda: sent(fake, STOP_TEXT) == [NUMBER])
    wait_until(lambda: Confirmation.objects.get().status == RecipientStatus.ACCEPTED)
    offer = message_send(user=users[0], body="Offer", to=[NUMBER, "+32486112233"])
    wait_until(lambda: offer.recipients.get(to="+32486112233").status == RecipientStatus.ACCEPTED)
    skipped = offer.recipients.get(to=NUMBER)
    assert (skipped.status, skipped.error_reason) == (RecipientStatus.SKIPPED, "opted out")
    assert sent(fake, "Offer") == ["+32486112233"]

    # START: back on; the next send reaches it.
    assert webhook(client, "START", "SM" + "3" * 32).status_code == 200
    wait_until(lambda: sent(fake, START_TEXT) == [NUMBER])
    again = message_send(user=users[0], body="Offer again", to=[NUMBER])
    wait_until(lambda: again.recipients.get().status == RecipientStatus.ACCEPTED)
    assert Counter(r["To"] for r in fake.requests)[NUMBER] == 3 + 2 + 1  # the three hellos, two answers, one offer
    # Paid: each user their hello; ann the two offers' three accepted SMS. The answers: nobody.
    balances = [CreditAccount.objects.get(user=user).provision_balance for user in users]
    assert balances == [10 - 1 - 2, 10 - 1, 10 - 1]
