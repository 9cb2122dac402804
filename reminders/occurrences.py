"""When a (repeating) event happens, in UTC, computed in the event's own time zone.

Recurrence is expanded in local wall-clock time (RFC 5545: a 09:00 weekly event stays
at 09:00 across DST changes) and each local time is then placed in its zone with
`zoneinfo`. A local time that does not exist (02:30 on the spring-forward day) takes
the offset from before the gap, as RFC 5545 section 3.3.5 says: 02:30 CET becomes
03:30 CEST. Expansion is always bounded: rules are limited to DAILY..YEARLY, a finite
COUNT or none, and every search stops after MAX_STEPS candidates.
"""

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator

from dateutil.rrule import rrulestr
from django.utils.translation import gettext as _

ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
MAX_COUNT = 5_000
MAX_INTERVAL = 1_000
MAX_STEPS = 10_000  # candidates examined by one search, whatever the rule


class RecurrenceError(ValueError):
    """A rule we refuse; `str(error)` says why."""


def check_rule(rule: str, first_local: dt.datetime) -> str:
    """The rule, normalised, or RecurrenceError (unknown parts, unbounded expansion...)."""
    rule = rule.strip().upper().removeprefix("RRULE:")
    if not rule:
        return ""
    parts = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise RecurrenceError(_("Repeat daily, weekly, monthly or yearly."))
    if "COUNT" in parts and (not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= MAX_COUNT):
        raise RecurrenceError(_("Repeat at most %(max)s times.") % {"max": MAX_COUNT})
    if "INTERVAL" in parts and (not parts["INTERVAL"].isdigit() or not 1 <= int(parts["INTERVAL"]) <= MAX_INTERVAL):
        raise RecurrenceError(_("The interval must be between 1 and %(max)s.") % {"max": MAX_INTERVAL})
    if re.search(r"BYSECOND|BYMINUTE|BYHOUR|BYSETPOS", rule):
        raise RecurrenceError(_("This repetition is not supported: use the day, week, month or year choices."))
    try:
        rrulestr(rule, dtstart=first_local)
    except (ValueError, TypeError) as error:
        raise RecurrenceError(_("The repetition rule is not valid: %(error)s") % {"error": error}) from error
    return rule


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise RecurrenceError(_("Unknown time zone “%(name)s”.") % {"name": name}) from error


def to_utc(local: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """Place a wall-clock time in its zone (fold=0: a time in a DST gap keeps the earlier offset)."""
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def starts(
    *, first_start: dt.datetime, time_zone: str, rule: str = "", exdates: frozenset[dt.datetime] = frozenset()
) -> Iterator[dt.datetime]:
    """Every occurrence start in UTC, in order, at most MAX_STEPS of them.

    `first_start` is the first occurrence (aware); `exdates` are local wall-clock
    starts (naive) that are skipped.
    """
    tz = zone(time_zone)
    first_local = first_start.astimezone(tz).replace(tzinfo=None)
    if not rule:
        if first_local not in exdates:
            yield first_start.astimezone(dt.UTC)
        return
    for steps, local in enumerate(rrulestr(rule, dtstart=first_local)):
        if steps >= MAX_STEPS:
            return
        if local not in exdates:
            yield to_utc(local, tz)


def next_start(
    *,
    first_start: dt.datetime,
    time_zone: str,
    rule: str = "",
    exdates: frozenset[dt.datetime] = frozenset(),
    after: dt.datetime,
) -> dt.datetime | None:
    """The first occurrence start strictly after `after` (UTC), or None when the series is over."""
    tz = zone(time_zone)
    if rule:
        # Jump close to `after` in local time instead of walking from the first occurrence.
        first_local = first_start.astimezone(tz).replace(tzinfo=None)
        series = rrulestr(rule, dtstart=first_local)
        probe = after.astimezone(tz).replace(tzinfo=None) - dt.timedelta(days=2)
        candidate = series.after(probe, inc=True) if probe > first_local else first_local
        steps = 0
        while candidate is not None and steps < MAX_STEPS:
            start = to_utc(candidate, tz)
            if start > after and candidate not in exdates:
                return start
            candidate = series.after(candidate)
            steps += 1
        return None
    for start in starts(first_start=first_start, time_zone=time_zone, exdates=exdates):
        if start > after:
            return start
    return None


def between(
    *,
    first_start: dt.datetime,
    time_zone: str,
    rule: str = "",
    exdates: frozenset[dt.datetime] = frozenset(),
    since: dt.datetime,
    until: dt.datetime,
    limit: int = 500,
) -> list[dt.datetime]:
    """Occurrence starts in [since, until), at most `limit` (a calendar view's window)."""
    found: list[dt.datetime] = []
    start = next_start(
        first_start=first_start,
        time_zone=time_zone,
        rule=rule,
        exdates=exdates,
        after=since - dt.timedelta(microseconds=1),
    )
    while start is not None and start < until and len(found) < limit:
        found.append(start)
        start = next_start(first_start=first_start, time_zone=time_zone, rule=rule, exdates=exdates, after=start)
    return found
