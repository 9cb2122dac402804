"""Occurrences across DST changes, exceptions, and bounded expansion."""

import datetime as dt
import zoneinfo

import pytest

from reminders.occurrences import RecurrenceError, between, check_rule, next_start

BRUSSELS, NEW_YORK = zoneinfo.ZoneInfo("Europe/Brussels"), zoneinfo.ZoneInfo("America/New_York")


def local(zone, *args):
    return dt.datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        (BRUSSELS, (2026, 3, 23), (2026, 3, 30)),  # EU clocks go forward on 29 March 2026
        (BRUSSELS, (2026, 10, 19), (2026, 10, 26)),  # and back on 25 October
        (NEW_YORK, (2026, 3, 2), (2026, 3, 9)),  # US: 8 March 2026
    ],
)
def test_a_weekly_0900_event_stays_at_0900_local_on_both_sides_of_a_dst_change(zone, before, after):
    first = local(zone, *before, 9, 0)
    starts = between(
        first_start=first, time_zone=str(zone), rule="FREQ=WEEKLY", since=first, until=local(zone, *after, 23, 0)
    )
    assert [s.astimezone(zone).strftime("%Y-%m-%d %H:%M") for s in starts] == [
        dt.date(*before).strftime("%Y-%m-%d 09:00"),
        dt.date(*after).strftime("%Y-%m-%d 09:00"),
    ]
    assert starts[0].utcoffset() == dt.timedelta(0)  # stored in UTC
    assert (starts[1] - starts[0]) != dt.timedelta(days=7)  # one hour more or less in UTC


def test_0230_on_the_spring_forward_day_is_0330_summer_time():
    # RFC 5545 3.3.5: a local time in the gap takes the offset from before the gap.
    first = dt.datetime(2026, 3, 22, 2, 30, tzinfo=BRUSSELS)
    second = next_start(first_start=first, time_zone="Europe/Brussels", rule="FREQ=WEEKLY", after=first)
    assert second.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M %Z") == "2026-03-29 03:30 CEST"
    assert second == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_exceptions_are_skipped_and_count_ends_the_series():
    first = local(BRUSSELS, 2026, 1, 5, 9, 0)
    exdates = frozenset({dt.datetime(2026, 1, 6, 9, 0)})
    starts = between(
        first_start=first,
        time_zone="Europe/Brussels",
        rule="FREQ=DAILY;COUNT=4",
        exdates=exdates,
        since=first,
        until=first + dt.timedelta(days=30),
    )
    assert [s.astimezone(BRUSSELS).day for s in starts] == [5, 7, 8]
    assert (
        next_start(first_start=first, time_zone="Europe/Brussels", rule="FREQ=DAILY;COUNT=4", after=starts[-1]) is None
    )


def test_next_start_far_in_the_future_does_not_walk_the_whole_series():
    first = local(BRUSSELS, 2000, 1, 3, 9, 0)
    found = next_start(
        first_start=first, time_zone="Europe/Brussels", rule="FREQ=DAILY", after=local(BRUSSELS, 2026, 6, 1, 12, 0)
    )
    assert found.astimezone(BRUSSELS) == local(BRUSSELS, 2026, 6, 2, 9, 0)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SECONDLY", "Repeat daily, weekly, monthly or yearly"),
        ("FREQ=DAILY;COUNT=10000000", "at most 5000 times"),
        ("FREQ=DAILY;BYHOUR=1,2,3", "not supported"),
        ("FREQ=WEEKLY;BYDAY=XX", "not valid"),
        ("FREQ=DAILY;INTERVAL=0", "between 1 and"),
    ],
)
def test_rules_that_could_not_be_expanded_safely_are_refused(rule, message):
    with pytest.raises(RecurrenceError, match=message):
        check_rule(rule, dt.datetime(2026, 1, 1, 9, 0))


def test_a_never_ending_rule_is_fine_because_expansion_is_bounded():
    first = local(BRUSSELS, 2026, 1, 1, 9, 0)
    assert check_rule("FREQ=DAILY", first.replace(tzinfo=None)) == "FREQ=DAILY"
    starts = between(
        first_start=first,
        time_zone="Europe/Brussels",
        rule="FREQ=DAILY",
        since=first,
        until=first + dt.timedelta(days=100_000),
        limit=500,
    )
    assert len(starts) == 500


def test_a_page_window_walks_only_that_window_wherever_it_is():
    from reminders.occurrences import Budget

    first = local(BRUSSELS, 1900, 1, 1, 9, 0)
    budget = Budget(10_000)
    week = between(
        first_start=first,
        time_zone="Europe/Brussels",
        rule="FREQ=DAILY",
        since=local(BRUSSELS, 2999, 3, 1, 0, 0),
        until=local(BRUSSELS, 2999, 3, 8, 0, 0),
        budget=budget,
    )
    assert len(week) == 7 and budget.spent < 20  # not the 400,000 days since 1900


def test_a_stored_rule_that_never_occurs_stops_within_the_budget():
    never = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31"
    first = local(BRUSSELS, 2026, 3, 2, 9, 0)
    assert next_start(first_start=first, time_zone="Europe/Brussels", rule=never, after=first) is None
    with pytest.raises(RecurrenceError, match="never happens"):
        check_rule(never, first.replace(tzinfo=None))


def test_until_in_utc_is_read_in_the_events_zone():
    # What the event form and every calendar application write (RFC 5545 3.3.10).
    first = local(BRUSSELS, 2030, 3, 4, 9, 0)
    rule = check_rule("FREQ=DAILY;UNTIL=20300306T225959Z", first.replace(tzinfo=None), time_zone="Europe/Brussels")
    starts = between(
        first_start=first, time_zone="Europe/Brussels", rule=rule, since=first, until=local(BRUSSELS, 2030, 4, 1, 0, 0)
    )
    assert [s.astimezone(BRUSSELS).day for s in starts] == [4, 5, 6]
