"""The Twilio adapter, with the real SDK against a fake Twilio server on loopback."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from twilio.request_validator import RequestValidator

from credits.models import CreditAccount
from messaging.gateways.twilio import TwilioGateway
from messaging.models import RecipientStatus
from messaging.services.accepting import message_send
from tests.credits.helpers import assert_ledger_consistent
from tests.fakes.twilio_server import FakeTwilio

SID, TOKEN = "AC" + "1" * 32, "secret-auth-token"
CALLBACK = "http://testserver/webhooks/sms/default/status/"


def use_twilio(settings, base_url: str) -> None:
    """Make the default gateway Twilio, talking to `base_url`."""
    options = {
        "ACCOUNT_SID": SID,
        "AUTH_TOKEN": TOKEN,
        "FROM": "+3228880000",
        "BASE_URL": base_url,
        "TIMEOUT": 0.5,
        "STATUS_CALLBACK_URL": CALLBACK,
    }
    settings.SMS_GATEWAYS = {"default": {"BACKEND": "messaging.gateways.twilio.TwilioGateway", "OPTIONS": options}}


@pytest.fixture
def fake_twilio(settings):
    with FakeTwilio(timeout_sleep=2.0) as fake:
        use_twilio(settings, fake.url)
        yield fake


def balances(user):
    account = CreditAccount.objects.get(user=user)
    assert_ledger_consistent(account)
    return account.monthly_remaining, account.monthly_held


@pytest.mark.parametrize(
    ("outcome", "status", "balance", "attempts"),
    [
        ("201", RecipientStatus.ACCEPTED, (19, 0), 1),  # accepted: captured
        ("400", RecipientStatus.FAILED, (20, 0), 1),  # refused: released
        ("429", RecipientStatus.QUEUED, (19, 1), 1),  # rate limited: retried later, still held
        ("500", RecipientStatus.QUEUED, (19, 1), 1),  # Twilio down: retried later, still held
        ("timeout", RecipientStatus.UNKNOWN, (19, 1), 1),  # sent, no answer: never resent, held for review
    ],
)
def test_each_twilio_answer_ends_in_the_right_state_and_credit(
    fake_twilio, sender, run_on_commit, outcome, status, balance, attempts
):
    fake_twilio.outcomes["+32475123456"] = outcome
    message = run_on_commit(message_send, user=sender, body="Hello from Twilio", to=["+32475123456"])
    recipient = message.recipients.get()
    assert (recipient.status, recipient.attempts) == (status, attempts)
    assert balances(sender) == balance
    sent = fake_twilio.requests[0]
    assert (sent["To"], sent["From"], sent["Body"], sent["StatusCallback"]) == (
        "+32475123456",
        "+3228880000",
        "Hello from Twilio\nAnn",
        CALLBACK,
    )
    if outcome == "201":
        assert recipient.provider_id.startswith("SM")
    if outcome == "400":
        assert recipient.error_code == "21211" and "not a valid phone number" in recipient.error_reason


def test_a_refused_connection_is_retried(settings, sender, run_on_commit):
    use_twilio(settings, "http://127.0.0.1:9")  # nothing listens on the discard port
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456"])
    assert message.recipients.get().status == RecipientStatus.QUEUED


def signed_post(client, params, token=TOKEN):
    signature = RequestValidator(token).compute_signature(CALLBACK, params)
    return client.post(reverse("sms_status_callback", args=["default"]), params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_status_callbacks_move_states_forward_and_ignore_repeats(fake_twilio, sender, run_on_commit, client):
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456"])
    sid = message.recipients.get().provider_id
    assert signed_post(client, {"MessageSid": sid, "MessageStatus": "delivered"}).status_code == 204
    assert signed_post(client, {"MessageSid": sid, "MessageStatus": "sent"}).status_code == 204  # late
    assert signed_post(client, {"MessageSid": sid, "MessageStatus": "undelivered"}).status_code == 204  # out of order
    assert message.recipients.get().status == RecipientStatus.DELIVERED
    assert balances(sender) == (19, 0)


def test_forged_callbacks_are_refused(fake_twilio, sender, run_on_commit, client):
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456"])
    sid = message.recipients.get().provider_id
    url = reverse("sms_status_callback", args=["default"])
    assert client.post(url, {"MessageSid": sid, "MessageStatus": "delivered"}).status_code == 403
    forged = signed_post(client, {"MessageSid": sid, "MessageStatus": "delivered"}, token="wrong-token")
    assert forged.status_code == 403
    assert message.recipients.get().status == RecipientStatus.ACCEPTED
    assert client.post(reverse("sms_status_callback", args=["nope"]), {}).status_code == 404


def test_a_missing_credential_is_a_clear_error_at_start_up():
    with pytest.raises(ImproperlyConfigured, match="needs AUTH_TOKEN, FROM: set TWILIO_AUTH_TOKEN, TWILIO_FROM"):
        TwilioGateway("default", {"ACCOUNT_SID": SID})


def test_an_approved_sender_id_goes_to_twilio_as_from_and_us_numbers_get_the_number(fake_twilio, sender, run_on_commit):
    from django.utils import timezone

    from messaging.services.senders import sender_id_decide, sender_id_request
    from tests.factories import UserFactory

    asked = sender_id_request(user=sender, name="ACME", now=timezone.now())
    staff = UserFactory(username="root", is_staff=True)
    sender_id_decide(sender_id=asked, approve=True, by=staff, now=timezone.now())
    message = run_on_commit(message_send, user=sender, body="Sale", to=["+32475123456", "+12025550123"], sender="ACME")
    assert {r.status for r in message.recipients.all()} == {RecipientStatus.ACCEPTED}
    # What the fake Twilio received from the SDK: the name for Belgium, our number for the US.
    assert {r["To"]: r["From"] for r in fake_twilio.requests} == {
        "+32475123456": "ACME",
        "+12025550123": "+3228880000",
    }


def test_with_a_messaging_service_the_sender_id_is_sent_beside_it(settings, sender, run_on_commit):
    """Twilio takes MessagingServiceSid "instead of or in addition to a specific From" (error 21603's page)."""
    from django.utils import timezone

    from messaging.services.senders import sender_id_decide, sender_id_request
    from tests.factories import UserFactory

    asked = sender_id_request(user=sender, name="ACME", now=timezone.now())
    sender_id_decide(sender_id=asked, approve=True, by=UserFactory(is_staff=True), now=timezone.now())
    with FakeTwilio() as fake:
        use_twilio(settings, fake.url)
        settings.SMS_GATEWAYS["default"]["OPTIONS"]["FROM"] = "MG" + "2" * 32
        run_on_commit(message_send, user=sender, body="Sale", to=["+32475123456", "+12025550123"], sender="ACME")
    sent = {r["To"]: (r.get("MessagingServiceSid"), r.get("From")) for r in fake.requests}
    assert sent == {"+32475123456": ("MG" + "2" * 32, "ACME"), "+12025550123": ("MG" + "2" * 32, None)}
