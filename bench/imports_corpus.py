"""Real-world contacts and calendars, imported and compared with independent readers.

Reads ../shared/corpus (vcf/, ics/: exports of Outlook, Google, Apple, Android and
others, see its SOURCES.md) when that folder exists; the files are never copied into
the project. Each file is imported through the import services (decode, parse,
checks, writes) into a throw-away database and compared with a reference reader:

- vCard: vobject; per card the name (FN, else N), the digits of each number and the
  emails. A card the reference reads and we do not import counts as a difference.
- iCalendar: icalendar + recurring-ical-events; every occurrence in the coming year
  (start instant, duration), cancelled ones left out, floating and all-day times in
  the importing user's zone.

Prints, per format, the files read the same / differently / refused (by both, by us
only, by the reference only) and the slowest file; `-v` lists every difference.
PostgreSQL only.

    .venv/bin/python bench/imports_corpus.py [-v] [CORPUS_DIR]
"""

import collections
import datetime as dt
import re
import sys
import time
import zoneinfo
from email.utils import parseaddr
from pathlib import Path

import icalendar
import recurring_ical_events
import vobject
from common import ROOT, throwaway_database

from accounts.contact_files import ContactFileError, decode_upload
from accounts.models import Contact
from accounts.services import address_books_ensure, contacts_import, user_create
from reminders import occurrences
from reminders.models import EventStatus
from reminders.services.calendars import EventError, calendar_create, calendar_import

USER_ZONE = "Europe/Brussels"
NOW = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
YEAR_LATER = NOW + dt.timedelta(days=365)


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


# --- vCard --------------------------------------------------------------------------


def reference_cards(data: bytes) -> list[tuple] | None:
    """(name, numbers, emails) of every card vobject reads, or None when it refuses the file."""
    try:
        text = data.decode("utf-8-sig")
        cards = list(vobject.readComponents(text))
    except Exception:
        return None
    found = []
    for card in cards:
        name = ""
        if "fn" in card.contents:
            name = str(card.fn.value).strip()
        if not name and "n" in card.contents:
            n = card.n.value
            name = " ".join(p for p in (n.prefix, n.given, n.additional, n.family, n.suffix) if p and p.strip())
        numbers = sorted(digits(str(tel.value)) for tel in card.contents.get("tel", []) if digits(str(tel.value)))
        emails = sorted(
            parseaddr(str(email.value))[1] or str(email.value).strip()
            for email in card.contents.get("email", [])
            if str(email.value).strip()
        )
        if name or numbers or emails:
            found.append((name, tuple(numbers), tuple(emails)))
    return sorted(found)


def our_cards(data: bytes, book) -> tuple[list[tuple] | None, str]:
    Contact.objects.filter(book=book).delete()
    try:
        report = contacts_import(
            book=book, filename="file.vcf", text=decode_upload(data), default_region="BE", actor=None
        )
    except ContactFileError as error:
        return None, str(error)
    found = []
    for contact in Contact.objects.filter(book=book).prefetch_related("phones", "emails"):
        numbers = sorted(digits(phone.raw) for phone in contact.phones.all() if digits(phone.raw))
        emails = sorted(email.address for email in contact.emails.all())
        found.append((contact.name, tuple(numbers), tuple(emails)))
    problems = "; ".join(f"line {line}: {why}" for line, why in report.errors)
    return sorted(found), problems


# --- iCalendar ----------------------------------------------------------------------


def reference_occurrences(data: bytes) -> list[tuple] | None:
    zone = zoneinfo.ZoneInfo(USER_ZONE)
    try:
        calendar = icalendar.Calendar.from_ical(data.decode("utf-8-sig"))
        found = []
        for item in recurring_ical_events.of(calendar).between(
            NOW - dt.timedelta(days=2), YEAR_LATER + dt.timedelta(days=2)
        ):
            if item.name != "VEVENT" or str(item.get("status", "")).upper() == "CANCELLED":
                continue
            start, end = item["DTSTART"].dt, item["DTEND"].dt if "DTEND" in item else None
            if end is None:
                end = start + (item["DURATION"].dt if "DURATION" in item else dt.timedelta(0))
            start, end = _instant(start, zone), _instant(end, zone)
            if NOW <= start < YEAR_LATER:
                found.append((start, end - start))
    except Exception:
        return None
    return sorted(found)


def _instant(value, zone) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


def our_occurrences(data: bytes, calendar) -> tuple[list[tuple] | None, str]:
    calendar.events.all().delete()
    try:
        calendar_import(calendar=calendar, text=decode_upload(data), default_zone=USER_ZONE, now=NOW)
    except (EventError, ContactFileError) as error:
        return None, str(error)
    found = []
    for event in calendar.events.filter(status=EventStatus.CONFIRMED):
        for start in occurrences.between(
            first_start=event.start,
            time_zone=event.time_zone,
            rule=event.rrule,
            exdates=event.excluded,
            since=NOW,
            until=YEAR_LATER,
            limit=10_000,
        ):
            found.append((start, event.duration))
    return sorted(found), ""


# --- the run ------------------------------------------------------------------------


def compare(kind: str, files: list[Path], ours, reference, verbose: bool) -> None:
    counts: collections.Counter = collections.Counter()
    slowest = (0.0, "")
    for path in files:
        data = path.read_bytes()
        start = time.perf_counter()
        mine, why = ours(data)
        seconds = time.perf_counter() - start
        slowest = max(slowest, (seconds, path.name))
        theirs = reference(data)
        if mine is None and theirs is None:
            verdict = "refused by both"
        elif mine is None:
            verdict = "refused by us only"
        elif theirs is None:
            verdict = "refused by the reference only"
        elif mine == theirs:
            verdict = "same"
        else:
            verdict = "different"
        counts[verdict] += 1
        if verbose and verdict != "same":
            print(f"  {kind} {path.name}: {verdict}" + (f" ({why[:160]})" if why else ""))
            if verdict == "different":
                extra, missing = sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine))
                print(f"      ours only: {extra[:3]}{' ...' if len(extra) > 3 else ''} ({len(mine)} in all)")
                print(f"      reference only: {missing[:3]}{' ...' if len(missing) > 3 else ''} ({len(theirs)})")
    order = ("same", "different", "refused by us only", "refused by both", "refused by the reference only")
    summary = ", ".join(f"{counts[key]} {key}" for key in order if counts[key] or key in order[:3])
    print(f"{kind}: {len(files)} files: {summary}; slowest {slowest[1]} {slowest[0] * 1000:.0f} ms")


def main() -> None:
    verbose = "-v" in sys.argv[1:]
    arguments = [arg for arg in sys.argv[1:] if arg != "-v"]
    corpus = Path(arguments[0]) if arguments else ROOT.parent / "shared" / "corpus"
    if not corpus.is_dir():
        sys.exit(f"No corpus at {corpus}: nothing to compare.")
    with throwaway_database(postgres_only=True):
        user = user_create(username="corpus", password=None, time_zone=USER_ZONE)
        book = address_books_ensure(user=user)[0]
        calendar = calendar_create(name="Corpus", owner=user)
        compare("vCard", sorted((corpus / "vcf").glob("*")), lambda d: our_cards(d, book), reference_cards, verbose)
        compare(
            "iCalendar",
            sorted((corpus / "ics").glob("*")),
            lambda d: our_occurrences(d, calendar),
            reference_occurrences,
            verbose,
        )


if __name__ == "__main__":
    main()
