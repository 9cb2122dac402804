"""The whole pipeline with real processes: PostgreSQL, a Redis broker, `celery worker`, and
the Twilio SDK talking to a fake Twilio server on loopback.

Each test starts its own redis-server on a free port (so that one test can stop the
broker) and its own worker process consuming a queue of its own.
"""

import datetime as dt
import itertools
import signal
from collections import Counter

import pytest
from django.utils import timezone

from credits.models import CreditAccount, Plan
from credits.services import account_for, credits_grant
from messaging.models import Recipient, RecipientEvent, RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.sweep import messaging_sweep
from messaging.tasks import reconcile
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


# Flow control with real workers: every worker reads the same gate in Redis (REDIS_URL).


def flow_pipeline(**env: str):
    """A fake Twilio and workers whose Twilio gateway has the flow options in `env`."""
    return worker_environment(**{"SMS_GATEWAY": "twilio", **TWILIO_CREDENTIALS, **env})


def settled_once(message, user) -> None:
    """Every recipient final, its credit captured (accepted) or released (failed) once."""
    account = CreditAccount.objects.get(user=user)
    assert_ledger_consistent(account)
    assert account.provision_held == 0
    accepted = message.recipients.filter(status=RecipientStatus.ACCEPTED).count()
    assert account.provision_balance == 5_000 - accepted * message.segments


def test_a_provider_100_ms_away_gets_many_requests_at_once_and_each_answer_reaches_its_recipient(rich_sender):
    numbers = [f"+3247{n:07d}" for n in range(400)]
    with (
        FakeTwilio() as fake,
        flow_pipeline(TWILIO_BASE_URL=fake.url, TWILIO_MAX_IN_FLIGHT="20", TWILIO_RATE="0") as env,
    ):
        fake.delay = 0.1
        for number in numbers[::7]:
            fake.outcomes[number] = "400"
        env["start_worker"]()
        env["start_worker"]()
        message = message_send(user=rich_sender, body="Slow provider", to=numbers)
        wait_until(lambda: not message.recipients.filter(status__in=FINAL_OR_STUCK).exists())
        assert fake.most_in_flight >= 20  # MAX_IN_FLIGHT requests of a worker at once: the 100 ms overlap
    sent = Counter(request["To"] for request in fake.requests)
    assert set(sent) == set(numbers) and set(sent.values()) == {1}  # nobody twice
    failed = set(message.recipients.filter(status=RecipientStatus.FAILED).values_list("to", flat=True))
    assert failed == set(numbers[::7])  # each answer went to its own recipient, in its chunk's order
    accepted = dict(message.recipients.filter(status=RecipientStatus.ACCEPTED).values_list("to", "provider_id"))
    assert accepted == {m["to"]: sid for sid, m in fake.messages.items()}
    settled_once(message, rich_sender)


def test_a_large_sends_chunks_are_shared_by_every_worker(rich_sender, settings):
    """A large send is split by a worker (fan-out); its chunks go through the broker to all
    workers, not run one after the other in the worker that split it."""
    numbers = [f"+3247{n:07d}" for n in range(600)]
    settings.SMS_CHUNK_SIZE, settings.SMS_TASK_CHUNKS = 100, 1  # this process splits the send too
    with (
        FakeTwilio() as fake,
        flow_pipeline(
            TWILIO_BASE_URL=fake.url,
            TWILIO_MAX_IN_FLIGHT="20",
            TWILIO_RATE="0",
            SMS_CHUNK_SIZE="100",
            SMS_TASK_CHUNKS="1",
        ) as env,
    ):
        fake.delay = 0.1
        env["start_worker"]()
        env["start_worker"]()
        message = message_send(user=rich_sender, body="Fan out", to=numbers)
        wait_until(lambda: not message.recipients.filter(status__in=FINAL_OR_STUCK).exists())
        assert fake.most_in_flight > 20  # more than one worker's MAX_IN_FLIGHT at once
    assert sorted(fake.accepted) == numbers  # each once
    settled_once(message, rich_sender)


def test_one_worker_sends_the_next_chunk_while_it_records_the_one_before(rich_sender):
    """A worker's requests stay in flight across chunk boundaries: chunk k+1 is claimed
    and its requests started before chunk k is written; yet each chunk is claimed before
    its requests, recorded in order, and every answer reaches its own recipient."""
    numbers = [f"+3247{n:07d}" for n in range(400)]
    with (
        FakeTwilio() as fake,
        flow_pipeline(
            TWILIO_BASE_URL=fake.url,
            TWILIO_MAX_IN_FLIGHT="100",
            TWILIO_RATE="0",
            SMS_CHUNK_SIZE="50",
            SMS_TASK_CHUNKS="8",
        ) as env,
    ):
        fake.delay = 0.2
        for number in numbers[::9]:
            fake.outcomes[number] = "400"
        env["start_worker"]()
        warm = message_send(user=rich_sender, body="Warm-up", to=["+32475999999"])
        wait_until(lambda: not warm.recipients.filter(status__in=FINAL_OR_STUCK).exists())
        for seen in (fake.requests, fake.arrivals, fake.accepted):
            seen.clear()
        message = message_send(user=rich_sender, body="Overlap", to=numbers)
        wait_until(lambda: not message.recipients.filter(status__in=FINAL_OR_STUCK).exists())
        # One worker, chunks of 50: more than 50 at once means two chunks in flight together.
        assert fake.most_in_flight > 50
    chunks: dict[str, list[Recipient]] = {}
    for row in message.recipients.order_by("claimed_at", "id"):
        chunks.setdefault(row.claim, []).append(row)
    assert [len(rows) for rows in chunks.values()] == [50] * 8
    ordered = list(chunks.values())
    for before, after in itertools.pairwise(ordered):
        recorded = max(row.updated_at for row in before)
        assert max(row.claimed_at for row in after) < recorded  # claimed before the chunk before was written
        assert min(row.claimed_at for row in after) <= min(row.updated_at for row in after)
        assert recorded <= min(row.updated_at for row in after)  # chunks recorded in order
    assert sorted(fake.accepted) == sorted(set(numbers) - set(numbers[::9]))  # each once
    failed = set(message.recipients.filter(status=RecipientStatus.FAILED).values_list("to", flat=True))
    assert failed == set(numbers[::9])  # each answer went to its own recipient
    # Every credit captured (the accepted, and the warm-up's one) or released once.
    assert credit(rich_sender) == (5_000 - 1 - (400 - len(failed)), 0)


def test_four_workers_together_keep_the_gateway_rate(rich_sender):
    rate, burst = 40, 4
    numbers = [f"+3247{n:07d}" for n in range(360)]
    with (
        FakeTwilio() as fake,
        flow_pipeline(
            TWILIO_BASE_URL=fake.url, TWILIO_RATE=str(rate), TWILIO_BURST=str(burst), SMS_CHUNK_SIZE="30"
        ) as env,
    ):
        for _ in range(4):
            env["start_worker"]()
        message = message_send(user=rich_sender, body="Shared rate", to=numbers)
        wait_until(lambda: not message.recipients.filter(status__in=FINAL_OR_STUCK).exists(), timeout=120)
    assert max(Counter(r["To"] for r in fake.requests).values()) == 1
    # The bucket grants at most burst + rate x T tokens in any T seconds. Arrivals at the fake
    # add each request's way there, which on a loaded 2-core machine varies by up to ~250 ms
    # (a worker granted a token late in one second sends early in the next): judged over
    # 3-second windows with that allowance. Per-worker buckets would let 4 x 40 a second through.
    window, way_there = 3, 0.25
    assert fake.most_in_any(window) <= burst + rate * (window + way_there), fake.per_second()
    assert len(fake.per_second()) >= 360 // (rate + burst)  # it did take the time the rate asks
    assert message.recipients.filter(status=RecipientStatus.ACCEPTED).count() == 360
    settled_once(message, rich_sender)


def test_a_429_with_retry_after_stops_every_worker_for_that_long(rich_sender):
    numbers = [f"+3247{n:07d}" for n in range(200)]
    with (
        FakeTwilio() as fake,
        flow_pipeline(TWILIO_BASE_URL=fake.url, TWILIO_MAX_IN_FLIGHT="4", SMS_CHUNK_SIZE="50") as env,
    ):
        fake.fail_with, fake.retry_after = "429", 60
        env["start_worker"]()
        env["start_worker"]()
        started = timezone.now()
        message = message_send(user=rich_sender, body="Slow down", to=numbers)
        wait_until(lambda: not message.recipients.filter(status=RecipientStatus.SUBMITTING).exists() and fake.requests)
        wait_until(lambda: message.recipients.filter(next_attempt_at__gt=started).count() == 200)
        asked = len(fake.requests)
        assert asked <= 2 * 4  # the first requests of each worker in flight; then nobody calls
        rows = list(message.recipients.all())
        assert {r.status for r in rows} == {RecipientStatus.QUEUED}
        assert all(r.next_attempt_at >= started + dt.timedelta(seconds=59) for r in rows)
        assert sum(r.attempts for r in rows) == asked  # held-back rows lost no attempt
        # Rows that come due again (made due by hand here) while the pause lasts are taken
        # by the workers and not sent either.
        message.recipients.update(next_attempt_at=timezone.now())
        assert messaging_sweep()["enqueued"] == 200
        wait_until(lambda: message.recipients.filter(error_code="paused", enqueued_at__isnull=True).count() == 200)
        assert len(fake.requests) == asked


def test_an_outage_opens_the_circuit_and_the_probes_show_it_then_everything_goes_out_once(rich_sender, client):
    numbers = [f"+3247{n:07d}" for n in range(100)]
    with (
        FakeTwilio() as fake,
        flow_pipeline(
            TWILIO_BASE_URL=fake.url,
            TWILIO_MAX_IN_FLIGHT="2",
            TWILIO_BREAKER_FAILURES="5",
            TWILIO_BREAKER_COOLDOWN="3",
        ) as env,
    ):
        fake.fail_with = "500"
        env["start_worker"]()
        message = message_send(user=rich_sender, body="Outage", to=numbers)
        wait_until(lambda: not message.recipients.filter(status=RecipientStatus.SUBMITTING).exists() and fake.requests)
        assert len(fake.requests) <= 5 + 2  # the breaker's count, and what was already in flight
        assert client.get("/readyz").json()["circuits"]["sms/default"].startswith("open for")
        assert 'smsoffice_gateway_circuit_open{channel="sms",gateway="default"} 1.0' in client.get("/metrics").text

        fake.fail_with = None  # back; the circuit closes after its cool-down
        deadline = timezone.now() + dt.timedelta(seconds=90)
        while message.recipients.exclude(status=RecipientStatus.ACCEPTED).exists() and timezone.now() < deadline:
            messaging_sweep(now=timezone.now() + dt.timedelta(seconds=3_600))  # retries due at once
            wait_until(lambda: not message.recipients.filter(status=RecipientStatus.SUBMITTING).exists())
    assert message.recipients.filter(status=RecipientStatus.ACCEPTED).count() == 100
    assert sorted(fake.accepted) == numbers  # each sent once
    assert client.get("/readyz").json()["circuits"]["sms/default"] == "closed"
    settled_once(message, rich_sender)


def test_a_request_taken_but_never_answered_is_unknown_then_reconciled_by_asking_twilio(rich_sender):
    numbers = [f"+3247{n:07d}" for n in range(50)]
    deadline = 20  # seconds after the claim (an hour in production)
    with (
        FakeTwilio(timeout_sleep=3) as fake,
        flow_pipeline(TWILIO_BASE_URL=fake.url, SMS_RECONCILE_AFTER="0", SMS_RECONCILE_DEADLINE=str(deadline)) as env,
    ):
        for number in numbers[:5]:
            fake.outcomes[number] = "taken"  # sent, no answer
        for number in numbers[5:8]:
            fake.outcomes[number] = "timeout"  # read, not sent, no answer
        env["start_worker"]()
        message = message_send(user=rich_sender, body="Unknowns", to=numbers)
        wait_until(lambda: not message.recipients.filter(status__in=FINAL_OR_STUCK).exists())
        assert message.recipients.filter(status=RecipientStatus.UNKNOWN).count() == 8
        claimed = message.recipients.filter(status=RecipientStatus.UNKNOWN).first().claimed_at

        reconcile.delay()  # what beat runs every minute, in the worker
        wait_until(lambda: message.recipients.filter(status=RecipientStatus.ACCEPTED).count() == 47)
        assert message.recipients.filter(status=RecipientStatus.UNKNOWN).count() == 3  # not yet given up
        wait_until(lambda: timezone.now() > claimed + dt.timedelta(seconds=deadline + 1), timeout=60)
        reconcile.delay()
        wait_until(lambda: message.recipients.filter(status=RecipientStatus.FAILED).count() == 3)
    states = Counter(message.recipients.values_list("status", flat=True))
    assert states == {RecipientStatus.ACCEPTED: 47, RecipientStatus.FAILED: 3}
    assert Counter(fake.accepted) == Counter(numbers[:5] + numbers[8:])  # once each
    reasons = list(RecipientEvent.objects.filter(recipient__message=message).values_list("status_to", flat=True))
    assert Counter(reasons) == {RecipientStatus.ACCEPTED: 5, RecipientStatus.FAILED: 3}
    settled_once(message, rich_sender)
