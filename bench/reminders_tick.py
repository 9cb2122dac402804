"""The reminders tick with 100,000 future reminders behind it, on PostgreSQL.

Prints, in one run: the cost of a tick with nothing due (median time and query count)
with 1,000 and then 100,000 future reminders (the baseline and the large case), and
the rate at which 1,000 due reminders are turned into accepted SMS: the tick runs
here, two real worker processes dispatch to the locmem gateway. Targets: an idle
tick under 20 ms with the same number of queries whatever the total; >= 500 due
reminders/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice .venv/bin/python bench/reminders_tick.py
"""

import datetime as dt
import logging
import os
import statistics
import time

os.environ["SMS_MAX_PER_DAY"] = "1000000"  # before Django reads its settings

from common import throwaway_database
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from credits.models import Plan
from credits.services import account_for, credits_grant
from messaging.models import Recipient, RecipientStatus
from reminders.models import Reminder
from reminders.services.agenda import agenda_tick
from reminders.services.calendars import calendar_create, event_save, reminders_tick
from tests.factories import UserFactory
from tests.workers import worker_environment

logging.getLogger("celery").setLevel(logging.WARNING)
DUE = 1_000
REPEAT = 20


def add_reminders(event, user, count: int, fire_at: dt.datetime) -> None:
    Reminder.objects.bulk_create(
        Reminder(event=event, user=user, minutes_before=15, next_fire_at=fire_at, next_occurrence=event.start)
        for _ in range(count)
    )


def idle_tick(now: dt.datetime) -> tuple[float, int]:
    timings, queries = [], 0
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            reminders_tick(now=now)
            agenda_tick(now=now)
            timings.append((time.perf_counter() - start) * 1000)
        queries = len(captured)
    return statistics.median(timings), queries


def main() -> None:
    with throwaway_database(postgres_only=True):
        Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
        user = UserFactory(mobile="+32475123456", time_zone="Europe/Brussels")
        credits_grant(account=account_for(user=user), amount=100_000, reason="bench", actor=None)
        now = timezone.now()
        calendar = calendar_create(name="Bench", owner=user)
        future = event_save(
            calendar=calendar,
            title="Later",
            time_zone="Europe/Brussels",
            start=now + dt.timedelta(days=365),
            end=now + dt.timedelta(days=365, hours=1),
        )
        add_reminders(future, user, 1_000, future.start - dt.timedelta(minutes=15))
        small_ms, small_queries = idle_tick(now)
        add_reminders(future, user, 99_000, future.start - dt.timedelta(minutes=15))
        connection.cursor().execute("ANALYZE reminders_reminder")
        large_ms, large_queries = idle_tick(now)
        print(f"idle tick with 1,000 future reminders (baseline): {small_ms:.2f} ms, {small_queries} queries")
        print(
            f"idle tick with 100,000 future reminders: {large_ms:.2f} ms, {large_queries} queries "
            f"(target < 20 ms, same query count)"
        )

        soon = event_save(
            calendar=calendar,
            title="Stand-up",
            location="Room 4",
            time_zone="Europe/Brussels",
            start=now + dt.timedelta(minutes=10),
            end=now + dt.timedelta(minutes=25),
        )
        add_reminders(soon, user, DUE, now - dt.timedelta(seconds=5))
        connection.close()  # the workers use the new database too
        with worker_environment() as workers:
            for _ in range(2):
                workers["start_worker"]()
            time.sleep(3)  # let them connect
            start = time.perf_counter()
            counts = reminders_tick(now=now)
            tick = time.perf_counter() - start
            while Recipient.objects.filter(status=RecipientStatus.ACCEPTED).count() < DUE:
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
        assert counts["sent"] == DUE, counts
        print(
            f"{DUE:,} due reminders: the tick handed them to the pipeline in {tick:.2f} s ({DUE / tick:,.0f}/s); "
            f"all accepted by the gateway after {elapsed:.2f} s: {DUE / elapsed:,.0f} reminders/s (target >= 500)"
        )


if __name__ == "__main__":
    main()
