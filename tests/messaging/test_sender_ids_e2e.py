"""Sender IDs with real processes: PostgreSQL, a Redis broker, `celery worker`, the Twilio SDK
sending to a fake Twilio on loopback, and a reply webhook signed with the SDK's RequestValidator."""

import pytest
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from credits.models import Plan
from messaging.models import IncomingSMS, RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.senders import sender_id_decide, sender_id_request
from tests.factories import UserFactory
from tests.messaging.test_replies_e2e import INCOMING, pipeline, user_with_credit  # noqa: F401 - a fixture
from tests.workers import TWILIO_CREDENTIALS, wait_until

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
BE, US = "+32475123456", "+12025550123"


def reply(client, number, text, sid):
    params = {"MessageSid": sid, "From": number, "To": TWILIO_CREDENTIALS["TWILIO_FROM"], "Body": text}
    signature = RequestValidator(TWILIO_CREDENTIALS["TWILIO_AUTH_TOKEN"]).compute_signature(INCOMING, params)
    return client.post(reverse("sms_incoming", args=["default"]), params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_worker_sends_as_the_name_the_us_gets_the_number_and_only_it_can_reply(pipeline, client):  # noqa: F811
    fake = pipeline
    Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
    ann = user_with_credit("ann")
    asked = sender_id_request(user=ann, name="ACME", now=timezone.now())
    sender_id_decide(sender_id=asked, approve=True, by=UserFactory(is_staff=True), now=timezone.now())

    message = message_send(user=ann, body="Sale today", to=[BE, US], sender="ACME")
    wait_until(lambda: all(r.status == RecipientStatus.ACCEPTED for r in message.recipients.all()))
    assert {r["To"]: r["From"] for r in fake.requests} == {BE: "ACME", US: TWILIO_CREDENTIALS["TWILIO_FROM"]}

    # The US recipient answers the number: the reply is Ann's. The Belgian one saw a name and
    # cannot answer it; an SMS from that number is someone else's business (nobody's here).
    assert reply(client, US, "Is it still on?", "SM" + "4" * 32).status_code == 200
    assert reply(client, BE, "Hello?", "SM" + "5" * 32).status_code == 200
    answers = {sms.from_number: sms.user for sms in IncomingSMS.objects.all()}
    assert answers == {US: ann, BE: None}
