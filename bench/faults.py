"""Faults during a 10,000-recipient send: a worker SIGKILLed, Redis restarted, the gateway
answering 500 for 30 seconds. Then reconciliation asks the fake Twilio about the
`unknown` rows (the killed worker's claims) until none is left. Checked: every recipient
final, none sent twice, captured = the rows the fake accepted, released = the rest,
ledger consistent.

Real parts: PostgreSQL (a throw-away database), redis-server (its own, on a free port,
keeping nothing on disk: a restart loses the queued tasks), `celery worker` processes,
and the Twilio SDK talking to a fake Twilio server on loopback. This process plays
beat: it runs the outbox sweep every 2 seconds (beat's is 15 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice_bench .venv/bin/python bench/faults.py
"""

import os

# Shorter than production so that the run takes minutes, not hours; the same code paths.
os.environ.setdefault("SMS_CLAIM_TIMEOUT", "30")  # a dead worker's claims become `unknown` after this
os.environ.setdefault("SMS_OUTBOX_GRACE", "10")  # a queued row whose task was lost is re-enqueued after this
os.environ.setdefault("SMS_RECONCILE_AFTER", "10")  # unknown rows are asked about at Twilio after this
os.environ.setdefault("SMS_RECONCILE_DEADLINE", "60")  # and failed (released) if still not found then
os.environ.setdefault("TWILIO_RATE", "1000")  # the shared token bucket: 10,000 in about 10 s, not 100

import signal
import sys
import time
from collections import Counter

from common import throwaway_database
from django.db.models import Count, Sum

from credits.models import CreditAccount, EntryKind, Hold, LedgerEntry, Plan
from credits.services import account_for, credits_grant
from messaging.models import Recipient, RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.sweep import messaging_sweep
from messaging.tasks import reconcile
from tests.credits.helpers import assert_ledger_consistent
from tests.factories import UserFactory
from tests.fakes.twilio_server import FakeTwilio
from tests.workers import TWILIO_CREDENTIALS, use_broker, worker_environment

RECIPIENTS = 10_000
OUTAGE_SECONDS = 30
DEADLINE_SECONDS = 600
SUBMITTING = RecipientStatus.SUBMITTING
NOT_DONE = [RecipientStatus.QUEUED, SUBMITTING]


class Clock:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def say(self, text: str) -> None:
        done = Recipient.objects.exclude(status__in=NOT_DONE).count()
        print(f"  t+{time.monotonic() - self.start:5.1f} s  {done:>6} of {RECIPIENTS} done  {text}", flush=True)

    def wait_for_progress(self, rows: int) -> None:
        """Let the workers finish `rows` more recipients (the sweep re-enqueues lost tasks)."""
        target = Recipient.objects.exclude(status__in=NOT_DONE).count() + rows
        deadline = time.monotonic() + 120
        while Recipient.objects.exclude(status__in=NOT_DONE).count() < target and time.monotonic() < deadline:
            self.wait(0.5)

    def wait(self, seconds: float) -> None:
        """Sleep, running the outbox sweep like beat would."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            messaging_sweep()
            time.sleep(min(2.0, max(0.0, until - time.monotonic())))


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit("the drill did not reach its next step")
        time.sleep(0.05)


def run() -> bool:
    Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
    user = UserFactory()
    account = account_for(user=user)
    credits_grant(account=account, amount=RECIPIENTS, reason="faults", actor=None)
    numbers = [f"+3247{n:07d}" for n in range(RECIPIENTS)]
    with (
        FakeTwilio() as fake,
        worker_environment(SMS_GATEWAY="twilio", TWILIO_BASE_URL=fake.url, **TWILIO_CREDENTIALS) as env,
    ):
        fake.delay = 0.01  # ~10 ms a call, as on a good day: the send lasts long enough to hurt it
        victim = env["start_worker"]()
        clock = Clock()
        message = message_send(user=user, body="Fault drill", to=numbers)
        clock.say(f"sent message {message.pk} to {RECIPIENTS} numbers; one worker")
        # The only worker is surely mid-chunk once it has claimed rows and the gateway has
        # taken some of them: kill it there.
        wait_for(lambda: len(fake.accepted) > 300 and Recipient.objects.filter(status=SUBMITTING).exists())
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        claimed = Recipient.objects.filter(status=SUBMITTING).count()
        clock.say(f"SIGKILL the worker in the middle of a chunk ({claimed} rows claimed); two new workers")
        env["start_worker"]()
        env["start_worker"]()
        clock.wait_for_progress(1_000)
        env["redis"].stop()
        clock.say("Redis stopped: queued tasks are lost with it")
        time.sleep(2)
        env["redis"].start()
        use_broker(env["redis"].url, env["queue"])
        clock.say("Redis started again")
        clock.wait_for_progress(1_000)
        fake.fail_with = "500"
        clock.say(f"gateway answers 500 for {OUTAGE_SECONDS} s")
        clock.wait(OUTAGE_SECONDS)
        fake.fail_with = None
        clock.say("gateway back")
        deadline = time.monotonic() + DEADLINE_SECONDS
        while Recipient.objects.filter(message=message, status__in=NOT_DONE).exists():
            if time.monotonic() > deadline:
                clock.say("DEADLINE: rows still queued or submitting")
                break
            clock.wait(5)
        unknown = list(message.recipients.filter(status=RecipientStatus.UNKNOWN).values_list("to", flat=True))
        sent = set(fake.accepted)
        clock.say(
            f"every recipient is final or unknown: {len(unknown)} unknown, of which the fake accepted "
            f"{sum(1 for number in unknown if number in sent)} and never saw "
            f"{sum(1 for number in unknown if number not in sent)}"
        )
        while Recipient.objects.filter(message=message, status=RecipientStatus.UNKNOWN).exists():
            if time.monotonic() > deadline:
                clock.say("DEADLINE: rows still unknown")
                break
            reconcile.delay()  # beat's reconciliation tick, run by a worker (it talks to Twilio)
            clock.wait(5)
        clock.say("reconciled")
        return check(message, account, fake)


def check(message, account: CreditAccount, fake: FakeTwilio) -> bool:
    states = dict(
        Recipient.objects.filter(message=message).values_list("status").annotate(n=Count("id")).order_by("status")
    )
    accepted_twice = {number: n for number, n in Counter(fake.accepted).items() if n > 1}
    hold = Hold.objects.get(reference=f"message:{message.pk}")
    # Dispatch (dispatch:...) and reconciliation (reconcile:...) settle; nothing else here does.
    entries = LedgerEntry.objects.filter(account=account)
    captured = -(entries.filter(kind=EntryKind.CAPTURE).aggregate(s=Sum("held_delta"))["s"] or 0)
    released = -(
        entries.filter(kind__in=[EntryKind.RELEASE, EntryKind.EXPIRY]).aggregate(s=Sum("held_delta"))["s"] or 0
    )
    still_held = hold.monthly_open + hold.provision_open
    accepted_rows = states.get(RecipientStatus.ACCEPTED, 0) + states.get(RecipientStatus.DELIVERED, 0)
    try:
        assert_ledger_consistent(account)
        ledger_ok = True
    except AssertionError:
        ledger_ok = False

    print("Final states:", ", ".join(f"{state} {count}" for state, count in states.items()))
    print(
        f"Gateway calls: {len(fake.requests)} ({len(fake.requests) - len(fake.accepted)} answered 500); "
        f"accepted by the gateway: {len(fake.accepted)} "
        f"({len(set(fake.accepted))} distinct numbers); accepted twice: {len(accepted_twice)}"
    )
    sent = len(set(fake.accepted))
    print(
        f"Credit: held {message.credits_held} = captured {captured} + released {released} "
        f"+ still held for unknown {still_held}"
    )
    print(
        f"Against the fake: captured {captured} for {sent} numbers it accepted; released {released} "
        f"for the {RECIPIENTS - sent} it never accepted"
    )
    checks = {
        "no recipient queued or submitting": not any(states.get(s) for s in NOT_DONE),
        "no recipient unknown": not states.get(RecipientStatus.UNKNOWN),
        "captured = the rows the fake accepted": captured == sent * message.segments,
        "released = the rest": released == (RECIPIENTS - sent) * message.segments,
        "no number accepted twice by the gateway": not accepted_twice,
        "every accepted row was accepted by the gateway once": accepted_rows <= len(set(fake.accepted)),
        "held = captured + released + still held": message.credits_held == captured + released + still_held,
        "captured = accepted rows": captured == accepted_rows * message.segments,
        "still held = unknown rows": still_held == states.get(RecipientStatus.UNKNOWN, 0) * message.segments,
        "ledger consistent (balances = sums of entries)": ledger_ok,
    }
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    return all(checks.values())


def main() -> None:
    print(f"{RECIPIENTS} recipients; worker killed, Redis restarted, gateway 500 for {OUTAGE_SECONDS} s")
    with throwaway_database(postgres_only=True):
        ok = run()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
