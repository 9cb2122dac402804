"""Flow control with the real Twilio SDK against the fake Twilio on loopback, in this
process: Retry-After pauses the whole gateway, the circuit breaker, malformed answers,
and the in-process token bucket when there is no Redis."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from broadcasts.fax.base import OutgoingFax
from credits.models import CreditAccount
from messaging.gateways import get_gateway
from messaging.gateways.base import Outcome, SendResult
from messaging.models import RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.outbox import provider_results
from tests.credits.helpers import assert_ledger_consistent
from tests.fakes.twilio_server import FakeTwilio

SID, TOKEN = "AC" + "3" * 32, "flow-token"


def use_twilio(settings, base_url: str, **flow) -> None:
    options = {"ACCOUNT_SID": SID, "AUTH_TOKEN": TOKEN, "FROM": "+3228880000", "BASE_URL": base_url, "TIMEOUT": 0.5}
    settings.SMS_GATEWAYS = {
        "default": {"BACKEND": "messaging.gateways.twilio.TwilioGateway", "OPTIONS": {**options, **flow}}
    }


@pytest.fixture
def fake(settings):
    with FakeTwilio(timeout_sleep=1.0) as fake:
        use_twilio(settings, fake.url)
        yield fake


def held(user) -> int:
    account = CreditAccount.objects.get(user=user)
    assert_ledger_consistent(account)
    return account.monthly_held + account.provision_held


def test_a_429_with_retry_after_holds_the_whole_gateway_back_for_that_long(fake, sender, run_on_commit):
    fake.outcomes["+32475000001"] = "429"
    fake.retry_after = 120
    before = timezone.now()
    first = run_on_commit(message_send, user=sender, body="One", to=["+32475000001"])
    limited = first.recipients.get()
    assert limited.status == RecipientStatus.QUEUED
    assert limited.next_attempt_at >= before + dt.timedelta(seconds=119)
    assert limited.error_code == "20429"

    # Another send right after: the gateway is not called at all until the wait is over,
    # and its row waits as long without losing one of its attempts.
    second = run_on_commit(message_send, user=sender, body="Two", to=["+32475000002"])
    waiting = second.recipients.get()
    assert len(fake.requests) == 1
    assert (waiting.status, waiting.attempts, waiting.error_code) == (RecipientStatus.QUEUED, 0, "paused")
    assert waiting.next_attempt_at >= before + dt.timedelta(seconds=118)
    assert held(sender) == 2  # both still held, nothing captured or released


def test_the_circuit_opens_after_failures_in_a_row_and_the_probes_show_it(
    fake, sender, run_on_commit, settings, client
):
    use_twilio(settings, fake.url, MAX_IN_FLIGHT=1, BREAKER_FAILURES=3, BREAKER_COOLDOWN=60)
    fake.fail_with = "500"
    numbers = [f"+3247500{n:04d}" for n in range(10)]
    message = run_on_commit(message_send, user=sender, body="Outage", to=numbers)

    assert len(fake.requests) == 3  # then the gateway is left alone
    rows = list(message.recipients.order_by("id"))
    assert {r.status for r in rows} == {RecipientStatus.QUEUED}
    assert [r.attempts for r in rows] == [1, 1, 1] + [0] * 7  # held back: not a try
    assert {r.error_code for r in rows[3:]} == {"circuit"}
    assert all(r.next_attempt_at >= timezone.now() + dt.timedelta(seconds=50) for r in rows[3:])

    ready = client.get("/readyz").json()
    assert ready["circuits"]["sms/default"].startswith("open for")
    metrics = client.get("/metrics").content.decode()
    assert 'smsoffice_gateway_circuit_open{channel="sms",gateway="default"} 1.0' in metrics

    run_on_commit(message_send, user=sender, body="Still down", to=["+32476000001"])
    assert len(fake.requests) == 3


def test_one_answer_closes_the_count_of_failures_in_a_row(fake, sender, run_on_commit, settings):
    use_twilio(settings, fake.url, MAX_IN_FLIGHT=1, BREAKER_FAILURES=3)
    for number in ("+32475000001", "+32475000002", "+32475000004", "+32475000005"):
        fake.outcomes[number] = "500"
    to = [f"+3247500000{n}" for n in range(1, 7)]  # fail, fail, ok, fail, fail, ok
    run_on_commit(message_send, user=sender, body="Flaky", to=to)
    assert len(fake.requests) == 6  # never three in a row: the circuit stayed closed


@pytest.mark.parametrize(
    ("outcome", "status", "words"),
    [
        ("html502", RecipientStatus.QUEUED, "502 Bad Gateway"),  # a proxy's page: not taken, retried
        ("truncated", RecipientStatus.UNKNOWN, '{"sid": "SM'),  # taken perhaps: never accepted, never resent
        ("nosid", RecipientStatus.UNKNOWN, "without a message SID"),
    ],
)
def test_malformed_answers_are_never_accepted_and_keep_the_providers_words(
    fake, sender, run_on_commit, outcome, status, words
):
    fake.outcomes["+32475000001"] = outcome
    message = run_on_commit(message_send, user=sender, body="Hi", to=["+32475000001"])
    recipient = message.recipients.get()
    assert recipient.status == status
    assert recipient.provider_id == ""
    assert words in recipient.error_reason
    assert held(sender) == 1  # neither captured nor released


def test_without_redis_the_rate_is_kept_in_this_process(sender, run_on_commit, settings, locmem_gateway):
    settings.REDIS_URL = ""  # make run: the embedded broker and no Redis
    settings.SMS_GATEWAYS = {
        "default": {"BACKEND": "messaging.gateways.locmem.LocmemGateway", "OPTIONS": {"RATE": 10, "BURST": 2}}
    }
    moments = []

    def accept(sms):
        moments.append(timezone.now())
        return SendResult(Outcome.ACCEPTED)

    locmem_gateway.script = accept
    message = run_on_commit(message_send, user=sender, body="Paced", to=[f"+3247500{n:04d}" for n in range(25)])
    assert message.recipients.filter(status=RecipientStatus.ACCEPTED).count() == 25
    first = moments[0]
    per_second: dict[int, int] = {}
    for moment in moments:
        second = int((moment - first).total_seconds())
        per_second[second] = per_second.get(second, 0) + 1
    assert max(per_second.values()) <= 10 + 2, json.dumps(per_second)
    assert len(per_second) >= 3  # 25 at 10 a second take more than two seconds


def test_batch_gateways_of_other_channels_get_the_same_circuit_breaker(settings, fax_gateway):
    """The fax (and email) copies of the Messages tool go through the same engine call."""
    settings.FAX_GATEWAYS = {
        "default": {
            "BACKEND": "messaging.gateways.locmem.LocmemGateway",
            "OPTIONS": {"BREAKER_FAILURES": 2, "BREAKER_COOLDOWN": 60},
        }
    }
    calls = []

    def busy(fax):
        calls.append(fax)
        return SendResult(Outcome.RETRY, code="busy", reason="line busy")

    fax_gateway.script = busy
    gateway = get_gateway(channel="fax")
    faxes = [OutgoingFax(n, f"+3225550{n:03d}", "Subject", b"%PDF") for n in range(3)]
    for _ in range(2):  # two chunks, each failing as a whole: two failures in a row
        results = provider_results(gateway, faxes, reason_max=500)
        assert {r.code for r in results} == {"busy"}
    assert len(calls) == 6
    held_back = provider_results(gateway, faxes, reason_max=500)
    assert len(calls) == 6  # the circuit is open: the gateway is not called
    assert {(r.code, r.handed_over) for r in held_back} == {("circuit", False)}
