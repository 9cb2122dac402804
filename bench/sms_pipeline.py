"""The sending pipeline on PostgreSQL + Redis with real `celery worker` processes.

Prints, in one run:
  (a) the time message_send takes to accept a 10,000-recipient send, beside the time
      phonenumbers alone takes to parse the same numbers (the floor);
  (b) sustained recipients/s from accept to "accepted", through a batch gateway with no
      network (locmem) and through the Twilio adapter to a fake Twilio on loopback;
  (c) the same batch-gateway drain done naively: one Celery task and one transaction
      per recipient (SMS_CHUNK_SIZE=1);
  (d) accepting 10,000 recipients read from a CSV with a text of two placeholders
      ({first_name}, {city}), beside the same CSV with a plain text;
  (e) the Twilio drain with the fake answering at once (0 ms) and 100 ms away, as a real
      provider is, and their ratio: requests in flight (TWILIO_MAX_IN_FLIGHT) hide the
      latency; no rate limit in either;
  (f) 10,000 recipients handed to a provider 100 ms away with TWILIO_RATE=1,000/s, and
      the most requests the fake saw in one second;
and the peak memory (VmHWM) of the worker processes.
Targets on 2 cores: (a) <= 2 s and <= 2.5x parse-only; (b) >= 1,000/s batch,
>= 400/s Twilio; (c) ours >= 5x naive; (d) within 2x; (e) 100 ms >= 0.7 x 0 ms;
(f) <= 20 s and at most 1,000 + one burst (100) a second; workers < 300 MB.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/sms_pipeline.py [--csv-only]
"""

import logging
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["SMS_MAX_PER_DAY"] = "1000000"  # before Django reads its settings

import phonenumbers
from common import throwaway_database
from django.conf import settings
from django.db import connection

from credits.models import Plan
from credits.services import account_for, credits_grant
from messaging import recipient_csv
from messaging.gateways.flow import flow_store
from messaging.models import Recipient, RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.sweep import messaging_sweep
from smsoffice.celery import app as celery_app
from tests.factories import UserFactory
from tests.fakes.twilio_server import FakeTwilio
from tests.workers import TWILIO_CREDENTIALS, worker_environment

logging.getLogger("celery").setLevel(logging.WARNING)

ACCEPT_SIZE = 10_000
ACCEPT_RUNS = 3
DRAIN_SIZE = 4_000
NAIVE_SIZE = 1_000
LATENCY_SIZE = 2_000  # each of the 0 ms and 100 ms drains
RATED_SIZE = 10_000
RATE = 1_000
WORKERS = 2


def numbers(count: int, offset: int = 0) -> list[str]:
    return [f"+32 47{n:07d}" for n in range(offset, offset + count)]


def peak_mb(workers) -> float:
    peak = 0
    for worker in workers:
        for line in Path(f"/proc/{worker.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def drain(user, count: int, offset: int, label: str, **env: str) -> tuple[float, float]:
    """Recipients/s from message_send to every recipient accepted, and the workers' peak MB."""
    env = {"TWILIO_RATE": "0", **env}  # no rate limit unless a figure asks for one
    env["TWILIO_TIMEOUT"] = "10"  # production's (the tests' workers wait 2 s)
    with worker_environment(**env) as environment:
        for _ in range(WORKERS):
            environment["start_worker"]()
        # Warm workers, as in production: booted, connected, one small send through each
        # (worker boot under load takes seconds, and would be timed with the first chunk).
        deadline = time.monotonic() + 60
        while len(celery_app.control.ping(timeout=0.5) or []) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
        warm = message_send(user=user, body=f"Warm-up {label}", to=numbers(WORKERS, offset + count))
        while warm.recipients.filter(status__in=[RecipientStatus.QUEUED, RecipientStatus.SUBMITTING]).exists():
            time.sleep(0.05)
        start = time.perf_counter()
        message = message_send(user=user, body=f"Benchmark {label}", to=numbers(count, offset))
        swept = time.monotonic()
        while message.recipients.filter(status__in=[RecipientStatus.QUEUED, RecipientStatus.SUBMITTING]).exists():
            time.sleep(0.05)
            if time.monotonic() - swept > 5:  # beat's sweep: retries that came due
                messaging_sweep()
                swept = time.monotonic()
        elapsed = time.perf_counter() - start
        accepted = message.recipients.filter(status=RecipientStatus.ACCEPTED).count()
        others = list(
            message.recipients.exclude(status=RecipientStatus.ACCEPTED).values_list("status", "error_reason")[:5]
        )
        assert accepted == count, (label, accepted, others)
        return count / elapsed, peak_mb(environment["workers"])


def csv_text(count: int, offset: int) -> str:
    cities = ("Gent", "Luik", "Namen", "Brugge", "Antwerpen")
    rows = (f"+3247{n:07d};Name{n % 997} Surname;{cities[n % 5]}" for n in range(offset, offset + count))
    return "mobile;name;city\n" + "\n".join(rows) + "\n"


def accept_from_csv(user) -> None:
    """(d) a CSV of 10,000 rows sent with two placeholders, beside the same rows with a plain text."""
    plain_runs, personal_runs = [], []
    with worker_environment():
        for run in range(ACCEPT_RUNS):
            for body, runs, offset in (
                ("Plain text for everyone, the same length as the other one more or less.", plain_runs, 0),
                ("Hello {name|there}, we meet in {city|Brussels} tomorrow at ten, see you.", personal_runs, 500_000),
            ):
                text = csv_text(ACCEPT_SIZE, offset + run * ACCEPT_SIZE)
                start = time.perf_counter()
                read = recipient_csv.read(text=text, default_region="BE", max_rows=ACCEPT_SIZE)
                message_send(user=user, body=body, csv_rows=read.rows)
                runs.append(time.perf_counter() - start)
    plain, personal = statistics.median(plain_runs), statistics.median(personal_runs)
    print(
        f"(d) accept {ACCEPT_SIZE:,} recipients from a CSV with two placeholders: {personal:.2f} s; "
        f"the same CSV with a plain text: {plain:.2f} s ({personal / plain:.2f}x; target within 2x; "
        f"median of {ACCEPT_RUNS})"
    )


def main() -> None:
    with throwaway_database(postgres_only=True):
        flow_store().reset()
        connection.close()  # the workers connect to the new database on their own
        Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
        user = UserFactory(sms_signature="Bench")
        credits_grant(account=account_for(user=user), amount=1_000_000, reason="bench", actor=None)
        if "--csv-only" in sys.argv:
            accept_from_csv(user)
            return

        # (a) accepting a 10,000-recipient send, against parsing alone; median of 3 runs each
        # (the first run of a process also pays for imports, translations and the broker connection).
        parse_runs, accept_runs = [], []
        with worker_environment():  # a broker to enqueue to, and no worker: accept time only
            for run in range(ACCEPT_RUNS):
                to = numbers(ACCEPT_SIZE, offset=run * ACCEPT_SIZE)
                start = time.perf_counter()
                for number in to:
                    phonenumbers.is_valid_number(phonenumbers.parse(number, None))
                parse_runs.append(time.perf_counter() - start)
                start = time.perf_counter()
                message_send(user=user, body="Accept benchmark", to=to)
                accept_runs.append(time.perf_counter() - start)
        # Those sends are not drained: out of the sweep's way (the drains below run it).
        Recipient.objects.filter(status=RecipientStatus.QUEUED).update(status=RecipientStatus.CANCELED)
        accept, parse_only = statistics.median(accept_runs), statistics.median(parse_runs)
        print(
            f"(a) accept {ACCEPT_SIZE:,} recipients: {accept:.2f} s; phonenumbers parse alone: {parse_only:.2f} s "
            f"({accept / parse_only:.1f}x; targets <= 2 s and <= 2.5x; median of {ACCEPT_RUNS}, first run "
            f"{accept_runs[0]:.2f} s)"
        )

        accept_from_csv(user)

        batch_rate, batch_mb = drain(user, DRAIN_SIZE, 100_000, "batch")
        print(
            f"(b) batch gateway (locmem, no network), {WORKERS} workers: {batch_rate:,.0f} recipients/s "
            f"(target >= 1,000)"
        )
        with FakeTwilio() as fake:
            twilio_rate, twilio_mb = drain(
                user,
                DRAIN_SIZE,
                200_000,
                "twilio",
                SMS_GATEWAY="twilio",
                TWILIO_BASE_URL=fake.url,
                **TWILIO_CREDENTIALS,
            )
            assert len(fake.requests) == DRAIN_SIZE + WORKERS  # and the warm-up
        print(f"    Twilio adapter to a fake Twilio on loopback: {twilio_rate:,.0f} recipients/s (target >= 400)")
        rates = {}
        with FakeTwilio() as fake:
            for offset, delay in ((400_000, 0.0), (500_000, 0.1)):
                fake.delay = delay
                rates[delay], mb = drain(
                    user,
                    LATENCY_SIZE,
                    offset,
                    f"twilio {delay * 1000:.0f} ms",
                    SMS_GATEWAY="twilio",
                    TWILIO_BASE_URL=fake.url,
                    **TWILIO_CREDENTIALS,
                )
                twilio_mb = max(twilio_mb, mb)
            most = fake.most_in_flight
        print(
            f"(e) Twilio adapter, {WORKERS} workers, {LATENCY_SIZE:,} recipients: provider at 0 ms "
            f"{rates[0.0]:,.0f}/s, at 100 ms {rates[0.1]:,.0f}/s: ratio {rates[0.1] / rates[0.0]:.2f} "
            f"(target >= 0.7; at most {most} requests in flight at the fake; TWILIO_MAX_IN_FLIGHT="
            f"{os.environ.get('TWILIO_MAX_IN_FLIGHT', '100')} a worker; a task sends {settings.SMS_TASK_CHUNKS} "
            f"chunks of {settings.SMS_CHUNK_SIZE}, the next in flight while the one before is recorded)"
        )
        flow_store().reset()  # a token bucket of its own
        with FakeTwilio() as fake:
            fake.delay = 0.1
            rated, mb = drain(
                user,
                RATED_SIZE,
                600_000,
                "twilio rated",
                SMS_GATEWAY="twilio",
                TWILIO_BASE_URL=fake.url,
                TWILIO_RATE=str(RATE),
                **TWILIO_CREDENTIALS,
            )
            twilio_mb = max(twilio_mb, mb)
            busiest = max(fake.per_second())
        print(
            f"(f) {RATED_SIZE:,} recipients to a provider 100 ms away at TWILIO_RATE={RATE:,}/s: "
            f"{RATED_SIZE / rated:.1f} s ({rated:,.0f}/s; target <= 20 s); busiest second at the fake: "
            f"{busiest:,} requests (the rate allows {RATE:,} + a burst of {RATE // 10})"
        )
        # The naive drain: one task and one transaction per recipient.
        settings.SMS_CHUNK_SIZE, settings.SMS_TASK_CHUNKS = 1, 1
        naive_rate, naive_mb = drain(user, NAIVE_SIZE, 300_000, "naive", SMS_CHUNK_SIZE="1", SMS_TASK_CHUNKS="1")
        print(
            f"(c) naive drain (one task and one transaction per recipient): {naive_rate:,.0f} recipients/s; "
            f"ours is {batch_rate / naive_rate:.1f}x (target >= 5x)"
        )
        print(f"peak worker memory (VmHWM): {max(batch_mb, twilio_mb, naive_mb):.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
