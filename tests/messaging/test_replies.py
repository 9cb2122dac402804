"""Incoming SMS through the Twilio webhook (signed with the SDK's RequestValidator), routing
to the user who wrote, STOP and START, and `manage.py sms_receive`."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from credits.models import CreditAccount
from credits.services import account_for, credits_grant
from messaging.models import Confirmation, IncomingSMS, Message, OptOut, OptOutChange, RecipientStatus
from messaging.services.accepting import BatchSend, message_send, message_send_batch
from messaging.services.incoming import incoming_receive, keyword_of
from messaging.services.planning import SendRefused
from messaging.services.sweep import messaging_sweep
from tests.factories import UserFactory
from tests.fakes.twilio_server import FakeTwilio
from tests.messaging.test_twilio import SID, TOKEN

INCOMING = "http://testserver/webhooks/sms/default/incoming/"
NUMBER = "+32475123456"


def use_twilio(settings, base_url: str) -> None:
    options = {
        "ACCOUNT_SID": SID,
        "AUTH_TOKEN": TOKEN,
        "FROM": "+3228880000",
        "BASE_URL": base_url,
        "TIMEOUT": 0.5,
        "INCOMING_URL": INCOMING,
    }
    settings.SMS_GATEWAYS = {"default": {"BACKEND": "messaging.gateways.twilio.TwilioGateway", "OPTIONS": options}}


@pytest.fixture
def fake_twilio(settings, db):
    with FakeTwilio(timeout_sleep=2.0) as fake:
        use_twilio(settings, fake.url)
        yield fake


_sids = iter(range(1, 10**6))


def incoming_post(client, text, *, sender=NUMBER, sid=None, token=TOKEN, alias="default"):
    """What Twilio posts when `sender` texts our number, signed as Twilio signs it."""
    params = {"MessageSid": sid or f"SM{next(_sids):032d}", "From": sender, "To": "+3228880000", "Body": text}
    signature = RequestValidator(token).compute_signature(INCOMING, params)
    return client.post(reverse("sms_incoming", args=[alias]), params, HTTP_X_TWILIO_SIGNATURE=signature)


def sent_days_ago(user, days, run_on_commit, to=NUMBER):
    message = run_on_commit(message_send, user=user, body=f"hello from {user.username}", to=[to])
    sent = timezone.now() - dt.timedelta(days=days)
    Message.objects.filter(pk=message.pk).update(created_at=sent)
    message.recipients.update(claimed_at=sent)  # when the worker handed it to the gateway
    return message


def balances(user):
    account = CreditAccount.objects.get(user=user)
    return account.monthly_remaining, account.monthly_held


# Storing through the webhook.


def test_a_signed_incoming_sms_is_stored_once_even_when_replayed(fake_twilio, client):
    text = "Ça marche 👍 — à demain"
    first = incoming_post(client, text, sid="SM" + "a" * 32)
    replay = incoming_post(client, text, sid="SM" + "a" * 32)
    assert first.status_code == replay.status_code == 200
    assert first["Content-Type"].startswith("text/xml") and b"<Response/>" in first.content
    stored = IncomingSMS.objects.get()
    assert (stored.from_number, stored.to_number, stored.text, stored.provider_id) == (
        NUMBER,
        "+3228880000",
        text,
        "SM" + "a" * 32,
    )


def test_forged_unsigned_and_unknown_webhooks_are_refused(fake_twilio, client):
    url = reverse("sms_incoming", args=["default"])
    unsigned = client.post(url, {"MessageSid": "SM1", "From": NUMBER, "Body": "hi"})
    forged = incoming_post(client, "hi", token="wrong-token")
    unknown = client.post(reverse("sms_incoming", args=["nope"]), {})
    assert (unsigned.status_code, forged.status_code, unknown.status_code) == (403, 403, 404)
    assert b"no SMS gateway named nope" in unknown.content
    assert not IncomingSMS.objects.exists()


@pytest.mark.parametrize(
    ("sender", "text", "reason"),
    [
        (NUMBER, "   ", "no text"),
        (NUMBER, "x" * 1601, "1601 characters: at most 1600"),
        ("0475123456", "hi", "sender"),
        ("+32 475 12 34 56", "hi", "E.164"),
    ],
)
def test_bad_incoming_sms_are_refused_with_the_reason(fake_twilio, client, sender, text, reason):
    response = incoming_post(client, text, sender=sender)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not IncomingSMS.objects.exists()


def test_the_locmem_gateway_has_no_incoming_webhook(client):
    response = client.post(reverse("sms_incoming", args=["default"]), {"From": NUMBER, "Body": "hi"})
    assert response.status_code == 404


# Routing.


def test_a_reply_goes_to_whoever_wrote_last_to_that_number(fake_twilio, client, run_on_commit):
    users = [UserFactory(username=name) for name in ("ann", "ben", "cas")]
    for user in users:
        credits_grant(account=account_for(user=user), amount=5, reason="test", actor=None)
    sent_days_ago(users[0], 5, run_on_commit)
    latest = sent_days_ago(users[1], 1, run_on_commit)
    sent_days_ago(users[2], 3, run_on_commit)
    sent_days_ago(users[2], 0, run_on_commit, to="+32486112233")  # another number: not this conversation
    assert incoming_post(client, "Yes, see you then").status_code == 200
    reply = IncomingSMS.objects.get()
    assert reply.user == users[1]
    assert reply.recipient.message == latest
    assert reply.read_at is None


def test_a_reply_after_the_window_goes_to_the_admin_inbox(fake_twilio, client, run_on_commit, sender, settings):
    settings.SMS_REPLY_WINDOW = 7
    sent_days_ago(sender, 8, run_on_commit)
    incoming_post(client, "late answer")
    incoming_post(client, "who is this?", sender="+32486112233")  # we never wrote to it
    assert list(IncomingSMS.objects.values_list("user", flat=True)) == [None, None]


def test_a_reply_within_the_window_is_matched(fake_twilio, client, run_on_commit, sender, settings):
    settings.SMS_REPLY_WINDOW = 7
    sent_days_ago(sender, 6, run_on_commit)
    incoming_post(client, "in time")
    assert IncomingSMS.objects.get().user == sender


def test_a_reply_emails_its_user_once(fake_twilio, client, run_on_commit, sender, bob, mailoutbox):
    sender.email = "ann@example.com"
    sender.save()
    run_on_commit(message_send, user=sender, body="Lunch?", to=["+32486112233"])
    assert incoming_post(client, "Sure", sender="+32486112233").status_code == 200
    assert run_on_commit(messaging_sweep)["replies_notified"] == 1
    assert run_on_commit(messaging_sweep)["replies_notified"] == 0  # told once
    assert [m.to for m in mailoutbox] == [["ann@example.com"]]
    assert "Bob Janssens" in mailoutbox[0].subject and "Sure" in mailoutbox[0].body


def test_a_user_who_chose_it_is_told_by_a_charged_sms(
    client_for, run_on_commit, sender, bob, mailoutbox, locmem_gateway
):
    sender.mobile = "+32470999999"
    sender.save()
    client = client_for(sender)
    assert client.post(reverse("reply_settings"), {"by_sms": "on"}).status_code == 302
    run_on_commit(message_send, user=sender, body="Lunch?", to=["+32486112233"])
    incoming_receive(gateway="default", from_number="+32486112233", text="Sure")
    run_on_commit(messaging_sweep)
    assert mailoutbox == []  # email unticked
    notice = locmem_gateway.outbox[-1]
    assert (notice.to, notice.text) == ("+32470999999", "Bob Janssens: Sure")
    assert balances(sender) == (18, 0)  # the send and the notice


# STOP and START.


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("STOP", "stop"),
        ("  stop. ", "stop"),
        ("Arrêt!", "stop"),
        ("arret", "stop"),
        ("STOPALL", "stop"),
        ("Unsubscribe", "stop"),
        ("start", "start"),
        ("Yes!", "start"),
        ("please stop by at 5", "reply"),
        ("stop it now", "reply"),
        ("STOP STOP", "reply"),
    ],
)
def test_only_a_whole_text_keyword_is_stop_or_start(text, kind):
    assert keyword_of(text) == kind


def test_stop_then_a_send_skips_the_number_and_holds_no_credit(
    fake_twilio, client, run_on_commit, sender, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert incoming_post(client, "STOP").status_code == 200
        incoming_post(client, "stop")  # already on the list: no second confirmation
    assert OptOut.objects.filter(gateway="default", number=NUMBER).exists()
    confirmation = Confirmation.objects.get()
    assert confirmation.status == RecipientStatus.ACCEPTED
    assert [(r["To"], r["Body"]) for r in fake_twilio.requests] == [
        (NUMBER, "You will no longer get SMS from this number. Reply START to get them again.")
    ]
    assert balances(sender) == (20, 0)  # the confirmation is nobody's

    message = run_on_commit(message_send, user=sender, body="Offer", to=[NUMBER, "+32486112233"])
    skipped = message.recipients.get(to=NUMBER)
    assert (skipped.status, skipped.error_reason) == (RecipientStatus.SKIPPED, "opted out")
    assert message.credits_held == 1
    assert balances(sender) == (19, 0)
    assert [r["To"] for r in fake_twilio.requests[1:]] == ["+32486112233"]


def test_start_takes_the_number_off_and_sends_go_again(
    fake_twilio, client, run_on_commit, sender, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incoming_post(client, "STOP")
        incoming_post(client, "Start")
    assert not OptOut.objects.exists()
    assert list(OptOutChange.objects.order_by("at", "id").values_list("action", flat=True)) == ["added", "removed"]
    assert fake_twilio.requests[1]["Body"] == "You will get SMS from this number again. Reply STOP to stop them."
    message = run_on_commit(message_send, user=sender, body="Offer", to=[NUMBER])
    assert message.recipients.get().status == RecipientStatus.ACCEPTED


def test_a_send_only_to_opted_out_numbers_is_refused_saying_so(sender):
    incoming_receive(gateway="default", from_number=NUMBER, text="STOP")
    with pytest.raises(SendRefused, match="opted out"):
        message_send(user=sender, body="Offer", to=[NUMBER])
    assert not Message.objects.exists()


def test_reminders_and_alerts_to_an_opted_out_mobile_are_refused(sender, run_on_commit):
    incoming_receive(gateway="default", from_number=NUMBER, text="STOP")
    results = run_on_commit(
        message_send_batch,
        sends=[
            BatchSend(key="a", user=sender, to=NUMBER, body="Meeting at 10"),
            BatchSend(key="b", user=sender, to="+32486112233", body="Meeting at 10"),
        ],
    )
    assert results["a"] == "opted out"
    assert isinstance(results["b"], Message)
    assert balances(sender) == (19, 0)


def test_a_keyword_in_a_sentence_is_an_ordinary_reply(sender, run_on_commit):
    run_on_commit(message_send, user=sender, body="Coffee?", to=[NUMBER])
    received = incoming_receive(gateway="default", from_number=NUMBER, text="please stop by at 5")
    assert received.incoming.user == sender
    assert not OptOut.objects.exists()


# The command line.


def test_sms_receive_goes_through_the_same_service(sender, run_on_commit):
    run_on_commit(message_send, user=sender, body="Coffee?", to=[NUMBER])
    out = io.StringIO()
    call_command("sms_receive", NUMBER, "On my way", stdout=out)
    assert f"reply to {sender.username}" in out.getvalue()
    assert IncomingSMS.objects.get().user == sender
    with pytest.raises(CommandError, match=r"E\.164"):
        call_command("sms_receive", "+32 475 12 34 56", "hi")
    with pytest.raises(CommandError, match="no SMS gateway named nope"):
        call_command("sms_receive", NUMBER, "hi", "--gateway", "nope")
    assert IncomingSMS.objects.count() == 1
