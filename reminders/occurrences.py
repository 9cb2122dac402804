"""When a (repeating) event happens, in UTC, computed in the event's own time zone.

Recurrence is expanded in local wall-clock time (RFC 5545: a 09:00 weekly event stays
at 09:00 across DST changes) and each local time is then placed in its zone with
`zoneinfo`. A local time that does not exist (02:30 on the spring-forward day) takes
the offset from before the gap, as RFC 5545 section 3.3.5 says: 02:30 CET becomes
03:30 CEST.

Expansion is bounded in work, not only in results. dateutil walks a rule period by
period (a day, week, month or year) and only checks UNTIL on dates that pass the BY*
filters, so a rule that never matches (31 February) is walked to the year 9999 whatever
UNTIL or window is given: 4.6 s of CPU for one DAILY rule. Every walk here is therefore
metered in *steps* (one a period, plus one per 8 days a long period holds; a step costs
at most ~3 us here) and stops when its Budget is spent:

- a page's window is walked from a start re-anchored just before it (endless and UNTIL
  rules), so it costs the window's steps plus two periods, wherever the window is;
- finding the next occurrence (reminders) stops after SEARCH_STEPS;
- a COUNT rule is walked from its first occurrence (the count starts there), which
  check_rule makes affordable: its whole series must fit in SERIES_STEPS;
- check_rule refuses a rule with no occurrence within SEARCH_STEPS of the start (about
  ten years for any frequency), with the reason.
"""

import datetime as dt
import re
import types
import zoneinfo
from collections.abc import Iterator

import dateutil.parser
import dateutil.rrule
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rrulestr
from django.utils.translation import gettext as _

ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
MAX_COUNT = 5_000
MAX_INTERVAL = 1_000
SEARCH_STEPS = 4_000  # the next occurrence: >= 10 years of candidates at any frequency, ~12 ms
SERIES_STEPS = 6_000  # a whole COUNT series (5,000 days or weeks, 100 years monthly), ~20 ms
WINDOW_SLACK_STEPS = 100  # a window's partial periods at both ends (a year holds 47 steps)
SEARCH_YEARS = 10  # what SEARCH_STEPS covers at least, as told to the user


class RecurrenceError(ValueError):
    """A rule we refuse; `str(error)` says why."""


class ExpansionLimit(RecurrenceError):
    """A walk spent `budget` before finding what it looked for."""

    def __init__(self, budget: "Budget") -> None:
        super().__init__(
            _("These repetitions take more work than one import may do: split the file into smaller ones.")
        )
        self.budget = budget


class Budget:
    """Steps a walk (or several: an import shares one) may take; `spent` says how many it took."""

    def __init__(self, steps: int) -> None:
        self.left, self.spent = steps, 0

    def spend(self, steps: int) -> None:
        self.spent += steps
        self.left -= steps
        if self.left < 0:
            raise ExpansionLimit(self)


class _MeteredInfo(dateutil.rrule._iterinfo):
    """dateutil's per-walk helper; it builds one day set a period: each is charged."""

    def _charged(self, found):
        _days, start, end = found
        self.rrule._budget.spend(1 + (end - start) // 8)
        return found

    def ydayset(self, year, month, day):
        return self._charged(super().ydayset(year, month, day))

    def mdayset(self, year, month, day):
        return self._charged(super().mdayset(year, month, day))

    def wdayset(self, year, month, day):
        return self._charged(super().wdayset(year, month, day))

    def ddayset(self, year, month, day):
        return self._charged(super().ddayset(year, month, day))


# dateutil's own walk (rrule._iter), run with the metered helper: the same dates, in the
# same order, for the pinned python-dateutil. test_occurrences checks that an impossible
# rule trips the budget, so an upgrade that renames these internals fails loudly.
_metered_walk = types.FunctionType(
    rrule._iter.__code__, {**vars(dateutil.rrule), "_iterinfo": _MeteredInfo}, "_metered_walk"
)


def _parts(rule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rule.split(";") if "=" in part)


def check_rule(rule: str, first_local: dt.datetime, *, time_zone: str = "UTC", budget: Budget | None = None) -> str:
    """The rule, normalised, or RecurrenceError (unknown parts, never happens, too costly).

    `budget`, when given, is charged too: an import shares one across its events.
    """
    rule = rule.strip().upper().removeprefix("RRULE:")
    if not rule:
        return ""
    parts = _parts(rule)
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise RecurrenceError(_("Repeat daily, weekly, monthly or yearly."))
    if "COUNT" in parts and (not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= MAX_COUNT):
        raise RecurrenceError(_("Repeat at most %(max)s times.") % {"max": MAX_COUNT})
    if "INTERVAL" in parts and (not parts["INTERVAL"].isdigit() or not 1 <= int(parts["INTERVAL"]) <= MAX_INTERVAL):
        raise RecurrenceError(_("The interval must be between 1 and %(max)s.") % {"max": MAX_INTERVAL})
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(_("Repeat a number of times or until a date, not both."))
    if re.search(r"BYSECOND|BYMINUTE|BYHOUR|BYSETPOS|BYEASTER", rule):
        raise RecurrenceError(_("This repetition is not supported: use the day, week, month or year choices."))
    in_month = parts["FREQ"] == "MONTHLY" or "BYMONTH" in parts
    for ordinal in re.findall(r"([+-]?\d+)[A-Z]{2}", parts.get("BYDAY", "")):
        # dateutil indexes past its tables (a 500) on "the 6th Monday of the month".
        if not 1 <= abs(int(ordinal)) <= (5 if in_month else 53):
            raise RecurrenceError(
                _("“%(day)s” does not exist: a month has at most 5 of each weekday, a year 53.")
                % {"day": parts["BYDAY"][:40]}
            )
    series = _series(rule, first_local, zone(time_zone))
    never = RecurrenceError(
        _(
            "This repetition never happens, or less than once in %(years)s years (31 February, for "
            "example): check its days and months."
        )
        % {"years": SEARCH_YEARS}
    )
    search = Budget(SEARCH_STEPS)
    try:
        if next(_walk(series, search, budget), None) is None:
            raise never
    except ExpansionLimit as error:
        if error.budget is budget:
            raise
        raise never from error
    if "COUNT" in parts:
        try:
            for _local in _walk(series, Budget(SERIES_STEPS), budget):
                pass
        except ExpansionLimit as error:
            if error.budget is budget:
                raise
            raise RecurrenceError(
                _("These %(count)s repetitions take too long to work out: repeat fewer times, or until a date.")
                % {"count": parts["COUNT"]}
            ) from error
    return rule


def _series(rule: str, first_local: dt.datetime, tz: zoneinfo.ZoneInfo) -> rrule:
    """dateutil's rule from `first_local` (naive), with UNTIL as a local wall-clock time."""
    until = _parts(rule).get("UNTIL")
    try:
        series = rrulestr(re.sub(r";?UNTIL=[^;]*", "", rule), dtstart=first_local)
        if until:
            # RFC 5545 wants UNTIL in UTC when DTSTART has a zone; we walk in local time.
            moment = dateutil.parser.parse(until)
            if moment.tzinfo is not None:
                moment = moment.astimezone(tz).replace(tzinfo=None)
            series = series.replace(until=moment)
    except (ValueError, TypeError, OverflowError) as error:
        raise RecurrenceError(_("The repetition rule is not valid: %(error)s") % {"error": error}) from error
    return series


class _Budgets:
    def __init__(self, budgets: list[Budget]) -> None:
        self.budgets = budgets

    def spend(self, steps: int) -> None:
        for budget in self.budgets:
            budget.spend(steps)


def _walk(series: rrule, *budgets: Budget | None) -> Iterator[dt.datetime]:
    """The local dates of `series`, in order, charging every budget given."""
    series._budget = _Budgets([budget for budget in budgets if budget is not None])
    return _metered_walk(series)


def _anchored(series: rrule, near: dt.datetime) -> rrule:
    """`series` started again at the start of its last period at or before `near` (naive).

    The same dates from there on, for a rule without COUNT; BY* parts that dateutil
    derives from the first start (the day of the month...) are made explicit first.
    """
    first = series._dtstart
    if series._count is not None or near <= first:
        return series
    interval, freq = series._interval, series._freq
    if freq == DAILY:
        periods = (near.date() - first.date()).days // interval
        anchor = first + dt.timedelta(days=periods * interval)
    elif freq == WEEKLY:
        week_start = first - dt.timedelta(days=(first.weekday() - series._wkst) % 7)
        periods = (near.date() - week_start.date()).days // (7 * interval)
        anchor = week_start + dt.timedelta(weeks=periods * interval)
    elif freq == MONTHLY:
        months = (near.year - first.year) * 12 + near.month - first.month
        index = first.year * 12 + first.month - 1 + months // interval * interval
        anchor = first.replace(year=index // 12, month=index % 12 + 1, day=1)
    else:
        anchor = first.replace(year=first.year + (near.year - first.year) // interval * interval, month=1, day=1)
    if anchor <= first:
        return series
    explicit = {
        "bymonth": series._bymonth,
        "bymonthday": series._bymonthday + series._bynmonthday or None,
        "byweekday": series._byweekday or None,
        "byyearday": series._byyearday,
        "byweekno": series._byweekno,
    }
    if series._bynweekday:
        explicit["byweekday"] = [dateutil.rrule.weekday(day, n) for day, n in series._bynweekday] + list(
            explicit["byweekday"] or []
        )
    return series.replace(dtstart=anchor, **explicit)


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise RecurrenceError(_("Unknown time zone “%(name)s”.") % {"name": name}) from error


def to_utc(local: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """Place a wall-clock time in its zone (fold=0: a time in a DST gap keeps the earlier offset)."""
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def _local_starts(
    *, first_start: dt.datetime, tz: zoneinfo.ZoneInfo, rule: str, since: dt.datetime, budget: Budget
) -> Iterator[dt.datetime]:
    """Local starts from `since` (naive) on, in order; stops quietly when `budget` is spent."""
    first_local = first_start.astimezone(tz).replace(tzinfo=None)
    if not rule:
        if first_local >= since:
            yield first_local
        return
    try:
        series = _series(rule, first_local, tz)
        if series._count is not None:
            # Counted from the first start: check_rule made this whole walk affordable.
            budget = Budget(budget.left + SERIES_STEPS)
        for local in _walk(_anchored(series, since), budget):
            if local >= since:
                yield local
    except ExpansionLimit:
        return


def last_local_start(
    *, first_start: dt.datetime, time_zone: str, rule: str, budget: Budget | None = None
) -> dt.datetime | None:
    """The last start (local, naive) of a COUNT or UNTIL rule; for UNTIL, an upper bound.

    A COUNT series is walked (check_rule made it affordable); an UNTIL series is not (it
    may hold 400,000 days): its UNTIL is returned, which is what a filter on the end needs.
    """
    tz = zone(time_zone)
    first_local = first_start.astimezone(tz).replace(tzinfo=None)
    series = _series(rule, first_local, tz)
    if series._count is None:
        return series._until
    last = None
    try:
        for last in _walk(series, Budget(SERIES_STEPS), budget):  # noqa: B007 (the loop keeps the last)
            pass
    except ExpansionLimit as error:
        if error.budget is budget:
            raise
    return last


def next_start(
    *,
    first_start: dt.datetime,
    time_zone: str,
    rule: str = "",
    exdates: frozenset[dt.datetime] = frozenset(),
    after: dt.datetime,
) -> dt.datetime | None:
    """The first occurrence start strictly after `after` (UTC), or None when the series is over
    (or has none within SEARCH_STEPS)."""
    tz = zone(time_zone)
    since = after.astimezone(tz).replace(tzinfo=None) - dt.timedelta(days=2)  # DST: a day either way
    for local in _local_starts(first_start=first_start, tz=tz, rule=rule, since=since, budget=Budget(SEARCH_STEPS)):
        start = to_utc(local, tz)
        if start > after and local not in exdates:
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
    budget: Budget | None = None,
) -> list[dt.datetime]:
    """Occurrence starts in [since, until), at most `limit` (a calendar view's window).

    Only the window is walked: its steps plus two periods, unless `budget` says otherwise.
    """
    tz = zone(time_zone)
    since_local = since.astimezone(tz).replace(tzinfo=None) - dt.timedelta(days=1)
    until_local = until.astimezone(tz).replace(tzinfo=None) + dt.timedelta(days=1)
    budget = budget or Budget((until_local - since_local).days + WINDOW_SLACK_STEPS)
    found: list[dt.datetime] = []
    for local in _local_starts(first_start=first_start, tz=tz, rule=rule, since=since_local, budget=budget):
        start = to_utc(local, tz)
        if start >= until or len(found) >= limit:
            break
        if start >= since and local not in exdates:
            found.append(start)
    return found
