"""The whole pipeline with real processes: PostgreSQL, a Redis broker, `celery worker`, and
the Twilio SDK talking to a fake Twilio server on loopback.

Each test starts its own redis-server on a free port (so that one test can stop the
broker) and its own worker process consuming a queue of its own.
"""

import datetime as dt
import signal
from collections import Counter

import pytest
from django.utils import timezone

from credits.models import CreditAccount, Plan
from credits.services import account_for, credits_grant
from messaging.models import Recipient, RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.sweep import messaging_sweep
from tests.credits.helpers import assert_ledger_consistent
from tests.factories import UserFactory
from tests.fakes.twilio_server import FakeTwilio
from tests.workers import TWILIO_CREDENTIALS, use_broker, wait_until, worker_environment

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
FINAL_OR_STUCK = [RecipientStatus.QUEUED, RecipientStatus.SUBMITTING]


@pytest.fixture
def pipeline(transactional_db):
    """A Redis, a fake Twilio, and a way to start workers against them and the test database."""
    with (
        FakeTwilio() as fake,
        worker_environment(SMS_GATEWAY="twilio", TWILIO_BASE_URL=fake.url, **TWILIO_CREDENTIALS) as workers,
    ):
        yield {**workers, "fake": fake}


@pytest.fixture
def rich_sender(transactional_db):
    Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
    user = UserFactory(sms_signature="E2E")
    credits_grant(account=account_for(user=user), amount=5_000, reason="e2e", actor=None)
    return user


def credit(user):
    account = CreditAccount.objects.get(user=user)
    assert_ledger_consistent(account)
    return account.provision_balance, account.provision_held


def test_a_1000_recipient_send_reaches_the_gateway_once_each_and_pays_for_the_accepted(pipeline, rich_sender):
    fake = pipeline["fake"]
    numbers = [f"+3247{n:07d}" for n in range(1_000)]
    for number in numbers[::10]:  # 100 refused by the operator
        fake.outcomes[number] = "400"
    pipeline["start_worker"]()
    message = message_send(user=rich_sender, body="Hello all", to=numbers)

    wait_until(lambda: not message.recipients.filter(status__in=FINAL_OR_STUCK).exists())
    sent = Counter(request["To"] for request in fake.requests)
    assert set(sent) == set(numbers) and set(sent.values()) == {1}
    states = Counter(message.recipients.values_list("status", flat=True))
    assert states == {RecipientStatus.ACCEPTED: 900, RecipientStatus.FAILED: 100}
    failed = set(message.recipients.filter(status=RecipientStatus.FAILED).values_list("to", flat=True))
    assert failed == set(numbers[::10])  # each result went to its own recipient
    assert credit(rich_sender) == (5_000 - 900, 0)


def test_a_worker_killed_mid_chunk_sends_nobody_twice_and_leaves_its_rows_unknown(pipeline, rich_sender, settings):
    fake = pipeline["fake"]
    numbers = [f"+3247{n:07d}" for n in range(400)]  # two chunks of 200
    worker = pipeline["start_worker"]()
    fake.delay = 0.05  # slow enough to be killed in the middle of a chunk
    message = message_send(user=rich_sender, body="Hello", to=numbers)
    wait_until(lambda: len(fake.requests) >= 20)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    claimed = set(message.recipients.filter(status=RecipientStatus.SUBMITTING).values_list("pk", flat=True))
    assert claimed  # the killed worker's chunk

    fake.delay = 0
    pipeline["start_worker"]()
    # The killed worker may have reserved the other chunk's task too: the outbox sweep
    # re-enqueues queued rows whose task is older than the grace period.
    messaging_sweep(now=timezone.now() + dt.timedelta(seconds=settings.SMS_OUTBOX_GRACE + 1))
    # The new worker sends the other chunk; the killed one's rows stay claimed.
    wait_until(lambda: message.recipients.filter(status=RecipientStatus.ACCEPTED).count() == 400 - len(claimed))
    later = timezone.now() + dt.timedelta(seconds=settings.SMS_CLAIM_TIMEOUT + 1)
    messaging_sweep(now=later)  # the killed worker's claims are now too old
    assert set(message.recipients.filter(status=RecipientStatus.UNKNOWN).values_list("pk", flat=True)) == claimed
    sent = Counter(request["To"] for request in fake.requests)
    assert max(sent.values()) == 1  # nobody twice
    accepted = message.recipients.filter(status=RecipientStatus.ACCEPTED).count()
    assert accepted == 400 - len(claimed)
    # Unknown recipients keep their credit held until someone reconciles them.
    assert credit(rich_sender) == (5_000 - 400, len(claimed))


def test_a_send_accepted_while_the_broker_is_down_goes_out_when_it_is_back(pipeline, rich_sender, settings):
    fake, redis = pipeline["fake"], pipeline["redis"]
    redis.stop()
    message = message_send(user=rich_sender, body="Hello", to=["+32475000001", "+32475000002"])
    assert set(message.recipients.values_list("status", flat=True)) == {RecipientStatus.QUEUED}
    assert fake.requests == []

    redis.start()
    use_broker(redis.url, pipeline["queue"])
    pipeline["start_worker"]()
    Recipient.objects.filter(message=message).update(enqueued_at=message.created_at.replace(year=2000))
    assert messaging_sweep()["enqueued"] == 2  # their task was lost: the outbox sweep sends them again
    wait_until(lambda: not message.recipients.filter(status__in=FINAL_OR_STUCK).exists())
    assert sorted(r["To"] for r in fake.requests) == ["+32475000001", "+32475000002"]
    assert credit(rich_sender) == (5_000 - 2, 0)


def test_the_request_id_follows_a_send_from_the_api_into_the_worker_log(pipeline, rich_sender, client, tmp_path):
    log = tmp_path / "worker.log"
    pipeline["start_worker"](log=log)
    client.force_login(rich_sender)
    response = client.post(
        "/api/v1/messages/",
        {"to": ["+32475000001"], "body": "Hi"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-follow-0001",
    )
    assert response.status_code == 202
    assert response.headers["X-Request-ID"] == "req-follow-0001"

    def gateway_line() -> str | None:
        return next((line for line in log.read_text().splitlines() if "gateway default answered" in line), None)

    wait_until(lambda: Recipient.objects.filter(status=RecipientStatus.ACCEPTED).exists())
    wait_until(lambda: gateway_line() is not None, timeout=10)
    assert "[req-follow-0001]" in gateway_line()
    assert "accepted 1" in gateway_line()
