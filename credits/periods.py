"""Billing periods: from a day of the month to the same day next month, in the user's time zone."""

import calendar
import datetime as dt
import zoneinfo


def period_date(year: int, month: int, anchor_day: int) -> dt.date:
    """The anchor day in that month, or the month's last day when the month is shorter."""
    return dt.date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def next_period_start(start: dt.date, anchor_day: int) -> dt.date:
    """31 Jan -> 28 (29) Feb -> 31 Mar: the anchor day is kept, not the clamped one."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return period_date(year, month, anchor_day)


def local_midnight(day: dt.date, time_zone: str) -> dt.datetime:
    """The instant a day starts in the user's time zone (DST included), as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=_zone(time_zone))


def local_today(now: dt.datetime, time_zone: str) -> dt.date:
    return now.astimezone(_zone(time_zone)).date()


def recent_period_starts(current_start: dt.date, anchor_day: int, count: int) -> list[dt.date]:
    """The starts of the `count` periods up to and including the current one, oldest first."""
    starts = [current_start]
    while len(starts) < count:
        first = starts[0]
        year, month = (first.year - 1, 12) if first.month == 1 else (first.year, first.month - 1)
        starts.insert(0, period_date(year, month, anchor_day))
    return starts


def _zone(time_zone: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
