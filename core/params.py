"""Reading query-string values that pages take, without trusting them."""

import datetime as dt
import unicodedata

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


SEARCH_MAX = 100  # characters of a search box that are used


def search_param(value: str) -> str:
    """A search box's text, safe to put in a query: control characters (PostgreSQL refuses
    NUL in text) become spaces, then trimmed to at most SEARCH_MAX characters."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value).strip()[:SEARCH_MAX]
