"""The sending pipeline on PostgreSQL + Redis with real `celery worker` processes.

Prints, in one run:
  (a) the time message_send takes to accept a 10,000-recipient send, beside the time
      phonenumbers alone takes to parse the same numbers (the floor);
  (b) sustained recipients/s from accept to "accepted", through a batch gateway with no
      network (locmem) and through the Twilio adapter to a fake Twilio on loopback;
  (c) the same batch-gateway drain done naively: one Celery task and one transaction
      per recipient (SMS_CHUNK_SIZE=1);
and the peak memory (VmHWM) of the worker processes.
Targets on 2 cores: (a) <= 2 s and <= 2.5x parse-only; (b) >= 1,000/s batch,
>= 400/s Twilio; (c) ours >= 5x naive; workers < 300 MB.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice .venv/bin/python bench/sms_pipeline.py
"""

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsoffice.settings.test")
os.environ["SMS_MAX_PER_DAY"] = "1000000"

import django

django.setup()
logging.getLogger("celery").setLevel(logging.WARNING)

import phonenumbers
from django.db import connection

from credits.models import Plan
from credits.services import account_for, credits_grant
from messaging.models import RecipientStatus
from messaging.services import message_send
from smsoffice.celery import app as celery_app
from tests.factories import UserFactory
from tests.fakes.twilio_server import FakeTwilio

ACCEPT_SIZE = 10_000
DRAIN_SIZE = 4_000
NAIVE_SIZE = 1_000
WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def numbers(count: int, offset: int = 0) -> list[str]:
    return [f"+32 47{n:07d}" for n in range(offset, offset + count)]


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def use_broker(url: str, queue: str) -> None:
    celery_app.conf.broker_url = url
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    celery_app._pool = None  # drop connections to the previous broker
    celery_app.amqp._producer_pool = None


def start_workers(env: dict, queue: str) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "smsoffice",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--loglevel=WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"w{i}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(WORKERS)
    ]


def peak_mb(workers: list[subprocess.Popen]) -> float:
    peak = 0
    for worker in workers:
        for line in Path(f"/proc/{worker.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.kill()
        worker.wait()


def drain(user, count: int, offset: int, env: dict, redis_url: str, label: str) -> tuple[float, float]:
    """Recipients/s from message_send to every recipient accepted, and the workers' peak MB."""
    queue = f"bench-{label}"
    use_broker(redis_url, queue)
    workers = start_workers(env, queue)
    time.sleep(3)  # let the workers connect
    start = time.perf_counter()
    message = message_send(user=user, body=f"Benchmark {label}", to=numbers(count, offset))
    while message.recipients.filter(status__in=[RecipientStatus.QUEUED, RecipientStatus.SUBMITTING]).exists():
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    accepted = message.recipients.filter(status=RecipientStatus.ACCEPTED).count()
    assert accepted == count, (label, accepted)
    memory = peak_mb(workers)
    stop(workers)
    return count / elapsed, memory


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    connection.close()
    redis, redis_url = start_redis()
    try:
        Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
        user = UserFactory(sms_signature="Bench")
        credits_grant(account=account_for(user=user), amount=1_000_000, reason="bench", actor=None)

        # (a) accepting a 10,000-recipient send, against parsing alone.
        to = numbers(ACCEPT_SIZE)
        start = time.perf_counter()
        for number in to:
            phonenumbers.is_valid_number(phonenumbers.parse(number, None))
        parse_only = time.perf_counter() - start
        use_broker(redis_url, "bench-accept")  # enqueued, nobody consumes: accept time only
        start = time.perf_counter()
        message_send(user=user, body="Accept benchmark", to=to)
        accept = time.perf_counter() - start
        print(
            f"(a) accept {ACCEPT_SIZE:,} recipients: {accept:.2f} s; phonenumbers parse alone: {parse_only:.2f} s "
            f"({accept / parse_only:.1f}x; targets <= 2 s and <= 2.5x)"
        )

        db = connection.settings_dict
        base_env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
        }
        batch_rate, batch_mb = drain(user, DRAIN_SIZE, 100_000, base_env, redis_url, "batch")
        print(
            f"(b) batch gateway (locmem, no network), {WORKERS} workers: {batch_rate:,.0f} recipients/s "
            f"(target >= 1,000)"
        )
        with FakeTwilio() as fake:
            twilio_env = {
                **base_env,
                "SMS_GATEWAY": "twilio",
                "TWILIO_ACCOUNT_SID": "AC" + "3" * 32,
                "TWILIO_AUTH_TOKEN": "bench",
                "TWILIO_FROM": "+3228880000",
                "TWILIO_BASE_URL": fake.url,
            }
            twilio_rate, twilio_mb = drain(user, DRAIN_SIZE, 200_000, twilio_env, redis_url, "twilio")
            assert len(fake.requests) == DRAIN_SIZE
        print(f"    Twilio adapter to a fake Twilio on loopback: {twilio_rate:,.0f} recipients/s (target >= 400)")
        os.environ["SMS_CHUNK_SIZE"] = "1"
        from django.conf import settings

        settings.SMS_CHUNK_SIZE = 1
        naive_rate, naive_mb = drain(user, NAIVE_SIZE, 300_000, {**base_env, "SMS_CHUNK_SIZE": "1"}, redis_url, "naive")
        print(
            f"(c) naive drain (one task and one transaction per recipient): {naive_rate:,.0f} recipients/s; "
            f"ours is {batch_rate / naive_rate:.1f}x (target >= 5x)"
        )
        print(f"peak worker memory (VmHWM): {max(batch_mb, twilio_mb, naive_mb):.0f} MB (target < 300 MB)")
    finally:
        redis.terminate()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
