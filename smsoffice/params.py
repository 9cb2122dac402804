"""Reading query-string values that pages take, without trusting them."""

import datetime as dt

# Dates outside this range are refused: arithmetic on them (the next day, the month
# after) would overflow Python's date range.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def date_param(value: str) -> dt.date | None:
    """A YYYY-MM-DD date from a query string, or None when it is missing, malformed or absurd."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None
