"""iCalendar (RFC 5545) files: reading events for an import, writing a calendar for export.

Reading: icalendar parses the file and builds each VTIMEZONE into a tzinfo; we keep one
Event per series (its RRULE and EXDATEs, expanded by occurrences.py, which meters the
work) and turn what that model does not hold into plain events: an edited occurrence
(RECURRENCE-ID) replaces the original one (an EXDATE on the series plus an event of its
own, or only the EXDATE when it is cancelled), each RDATE and each further RRULE line is
an event of its own. recurring-ical-events reads the same files as the reference in
bench/imports_corpus.py; it is not used here because its expansion is not bounded in
work (a rule that never matches is walked to the year 9999).

Time zones: we store IANA names. A zone icalendar resolves has one; a Windows name
("W. Europe Standard Time") is looked up in icalendar's Windows table; any other custom
VTIMEZONE ("Canberra, Melbourne, Sydney", a Cyrillic name) is matched to the IANA zone
with the same UTC offsets through the years concerned.
"""

import datetime as dt
import functools
import importlib.resources
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import icalendar
from django.utils.translation import gettext as _
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from .models import Event

DEFAULT_DURATION = dt.timedelta(hours=1)
# A custom VTIMEZONE is taken for the IANA zone that agrees on this share of the samples
# (noon on the 1st and 15th of each month): old definitions keep pre-2007 US rules, say.
ZONE_MATCH_SHARE = 0.9


class IcsError(ValueError):
    """The file as a whole cannot be read; `str(error)` says why."""


@dataclass
class ImportedEvent:
    title: str
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    all_day: bool = False
    location: str = ""
    notes: str = ""
    rrule: str = ""
    exdates: list[str] = field(default_factory=list)
    uid: str = ""
    canceled: bool = False


@dataclass
class CalendarContents:
    events: list[ImportedEvent]
    left_out: list[str]  # what the file holds that does not happen, said to the user


def read_events(text: str, *, default_zone: str, today: dt.date | None = None) -> CalendarContents:
    """Every VEVENT of `text`; raises IcsError naming the event that cannot be read."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError) as error:
        raise IcsError(
            _(
                "This is not an iCalendar file (.ics), or it is damaged or cut short: export the calendar "
                "again and import the new file."
            )
        ) from error
    today = today or dt.date.today()
    components = calendar.walk("VEVENT")
    masters: dict[str, ImportedEvent] = {}
    events: list[ImportedEvent] = []
    left_out: list[str] = []
    edited: list[tuple[int, object, str]] = []
    for number, component in enumerate(components, start=1):
        title = str(component.get("summary", "")).strip() or _("(no title)")
        try:
            if "recurrence-id" in component:
                edited.append((number, component, title))
                continue
            series = _read_event(component, title, default_zone, today)
        except (ValueError, KeyError, TypeError, AttributeError, zoneinfo.ZoneInfoNotFoundError) as error:
            raise IcsError(
                _("Event %(number)s (“%(title)s”) cannot be read: %(error)s")
                % {"number": number, "title": title[:60], "error": _readable(error)}
            ) from error
        if series.note:
            left_out.append(series.note)
            continue
        events += series.events
        if series.events and series.events[0].uid:
            masters.setdefault(series.events[0].uid, series.events[0])
    for number, component, title in edited:
        try:
            _apply_edit(component, title, masters, events, default_zone, today)
        except (ValueError, KeyError, TypeError, AttributeError, zoneinfo.ZoneInfoNotFoundError) as error:
            raise IcsError(
                _("Event %(number)s (“%(title)s”) cannot be read: %(error)s")
                % {"number": number, "title": title[:60], "error": _readable(error)}
            ) from error
    return CalendarContents(events=events, left_out=left_out)


@dataclass
class _Series:
    events: list[ImportedEvent]
    note: str = ""


class _Unreadable(ValueError):
    """A property's value that cannot be read; the message is for the user."""


def _readable(error: Exception) -> str:
    # Our own messages are for people; a library's are not (“'list' object has no attribute…”).
    if isinstance(error, _Unreadable):
        return str(error)
    return _("one of its values is not valid iCalendar.")


def _decoded(component, name: str):
    try:
        return component.decoded(name)
    except Exception as error:
        raise _Unreadable(
            _("its %(property)s value “%(value)s” cannot be read.")
            % {"property": name.upper(), "value": str(component.get(name, ""))[:40]}
        ) from error


def _times(component, default_zone: str, today: dt.date) -> tuple[dt.datetime, dt.datetime, str, bool]:
    """(start, end, IANA zone, all day) of a VEVENT; an end before the start is taken as the start."""
    if "dtstart" not in component:
        raise _Unreadable(_("it has no start (DTSTART)."))
    start = _decoded(component, "dtstart")
    if not isinstance(start, dt.date):
        raise _Unreadable(_("its start (DTSTART) is not a date or a time."))
    tzid = component.get("dtstart").params.get("TZID")
    if tzid and getattr(start, "tzinfo", None) is None:
        # icalendar leaves the time floating when it does not know the zone: say so.
        raise _Unreadable(_("unknown time zone “%(zone)s”.") % {"zone": tzid})
    all_day = not isinstance(start, dt.datetime)
    zone_name = _zone_name(start, tzid, default_zone, today)
    zone = zoneinfo.ZoneInfo(zone_name)
    start_at = _aware(start, zone)
    if "dtend" in component:
        end_at = _aware(_decoded(component, "dtend"), zone)
    elif "duration" in component:
        duration = _decoded(component, "duration")
        if not isinstance(duration, dt.timedelta):
            raise _Unreadable(_("its DURATION is not a duration."))
        # Added to the start as a date-time: a date plus PT10H is not the same date.
        end_at = start_at + duration
        all_day = all_day and duration % dt.timedelta(days=1) == dt.timedelta(0)
    else:
        end_at = start_at + (dt.timedelta(days=1) if all_day else DEFAULT_DURATION)
    # RFC 5545 wants the end after the start; Google writes zero-length events, and
    # some programs swap the two: read as an event of no length, as other readers do.
    return start_at, max(end_at, start_at), zone_name, all_day


def _read_event(component, title: str, default_zone: str, today: dt.date) -> _Series:
    start_at, end_at, zone_name, all_day = _times(component, default_zone, today)
    zone = zoneinfo.ZoneInfo(zone_name)
    rules = [rule for rule in _as_list(component.get("rrule")) if rule]
    exdates = []
    for entry in _as_list(component.get("exdate")):
        try:
            values = [value.dt for value in entry.dts]
        except Exception as error:
            raise _Unreadable(_("one of its EXDATE values cannot be read.")) from error
        exdates += [_local(moment, zone).isoformat() for moment in values]
    event = ImportedEvent(
        title=title[:200],
        start=start_at,
        end=end_at,
        time_zone=zone_name,
        all_day=all_day,
        location=str(component.get("location", ""))[:200],
        notes=str(component.get("description", ""))[:5000],
        rrule=rules[0].to_ical().decode() if rules else "",
        exdates=exdates,
        uid=str(component.get("uid", ""))[:255],
        canceled=str(component.get("status", "")).upper() == "CANCELLED",
    )
    until = rules[0].get("UNTIL") if rules else None
    if until and _before(until[0], start_at, zone):
        return _Series(
            [],
            _("“%(title)s” repeats until a date before it starts: it never happens, so it was left out.")
            % {"title": title[:60]},
        )
    # Our events hold one rule: each further RRULE line, and each RDATE, is an event of its own.
    events = [event]
    events += [replace(event, rrule=rule.to_ical().decode(), uid="") for rule in rules[1:]]
    for entry in _as_list(component.get("rdate")):
        try:
            values = [value[0] if isinstance(value, tuple) else value for value in (v.dt for v in entry.dts)]
        except Exception as error:
            raise _Unreadable(_("one of its RDATE values cannot be read.")) from error
        for value in values:
            local = _local(value, zone)
            if local != _local(start_at, zone) and local.isoformat() not in exdates:
                moment = _aware(local, zone)
                events.append(replace(event, start=moment, end=moment + (end_at - start_at), rrule="", uid=""))
    return _Series(events)


def _apply_edit(component, title: str, masters: dict[str, ImportedEvent], events, default_zone, today) -> None:
    """An edited occurrence replaces the original: an EXDATE on its series, and itself unless cancelled."""
    master = masters.get(str(component.get("uid", ""))[:255])
    canceled = str(component.get("status", "")).upper() == "CANCELLED"
    if master is not None:
        original = _decoded(component, "recurrence-id")
        if master.all_day and isinstance(original, dt.datetime):
            # Google writes RECURRENCE-ID:20250101T000000Z for a series of dates: the day as written.
            original = original.date()
        master.exdates.append(_local(original, zoneinfo.ZoneInfo(master.time_zone)).isoformat())
    if canceled:
        return
    start_at, end_at, zone_name, all_day = _times(component, default_zone, today)
    events.append(
        ImportedEvent(
            title=title[:200],
            start=start_at,
            end=end_at,
            time_zone=zone_name,
            all_day=all_day,
            location=str(component.get("location", ""))[:200],
            notes=str(component.get("description", ""))[:5000],
        )
    )


def _before(until, start_at: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    if isinstance(until, dt.datetime):
        return _aware(until, zone) < start_at
    return until < start_at.astimezone(zone).date()


def write_calendar(events: Iterable[Event], *, name: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//SMS Office//Calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_vevent(event))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _zone_name(start, tzid: str | None, default_zone: str, today: dt.date) -> str:
    tzinfo = getattr(start, "tzinfo", None)
    if tzinfo is None:
        return default_zone  # a floating time or a date: the user's own zone
    key = getattr(tzinfo, "key", None) or getattr(tzinfo, "zone", None)
    if key in _known_zones():
        return key
    if (start.utcoffset() == dt.timedelta(0) and not tzid) or key in ("UTC", "utc"):
        return "UTC"
    if tzid and WINDOWS_TO_OLSON.get(tzid.strip('"')):
        return WINDOWS_TO_OLSON[tzid.strip('"')]
    return _matching_zone(tzinfo, tzid or str(tzinfo), (start.year, today.year, today.year + 1))


def _matching_zone(tzinfo, name: str, years: tuple[int, ...]) -> str:
    """The IANA zone with the offsets of a custom VTIMEZONE in `years`; _Unreadable if none."""
    samples = [
        dt.datetime(year, month, day, 12) for year in sorted(set(years)) for month in range(1, 13) for day in (1, 15)
    ]
    offsets = tuple(moment.replace(tzinfo=tzinfo).utcoffset() for moment in samples)
    best, score = "", 0
    for candidate, known in _zone_offsets(tuple(samples)).items():
        agreeing = sum(1 for ours, theirs in zip(offsets, known, strict=True) if ours == theirs)
        if agreeing > score:
            best, score = candidate, agreeing
    if score < ZONE_MATCH_SHARE * len(samples) and years[0] not in years[1:]:
        # An old definition (DST that a country has since dropped): the zone as it was
        # when the event was written, since that is what its author meant.
        return _matching_zone(tzinfo, name, (years[0],))
    if score < ZONE_MATCH_SHARE * len(samples):
        raise _Unreadable(
            _("its time zone “%(zone)s” matches no time zone we know: export it with a standard time zone.")
            % {"zone": name[:60]}
        )
    return best


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())  # a walk of the zone files: once a process


@functools.lru_cache(maxsize=8)
def _zone_offsets(samples: tuple[dt.datetime, ...]) -> dict[str, tuple]:
    """The offsets of every canonical IANA zone (zone1970.tab, then UTC) at `samples`."""
    table = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone1970.tab").read_text()
    names = [line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")]
    return {
        name: tuple(moment.replace(tzinfo=zoneinfo.ZoneInfo(name)).utcoffset() for moment in samples)
        for name in [*sorted(names), "UTC"]
    }


def _local(value, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A DTSTART-like value as a naive wall-clock time in `zone` (what EXDATEs hold)."""
    return _aware(value, zone).astimezone(zone).replace(tzinfo=None)


def _aware(value, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _vevent(event: Event) -> icalendar.Event:
    zone = zoneinfo.ZoneInfo(event.time_zone)
    component = icalendar.Event()
    component.add("uid", event.uid or f"event-{event.pk}@smsoffice")
    component.add("summary", event.title)
    if event.all_day:
        component.add("dtstart", event.start.astimezone(zone).date())
        component.add("dtend", event.end.astimezone(zone).date())
    else:
        component.add("dtstart", event.start.astimezone(zone))
        component.add("dtend", event.end.astimezone(zone))
    if event.location:
        component.add("location", event.location)
    if event.notes:
        component.add("description", event.notes)
    if event.rrule:
        component.add("rrule", icalendar.vRecur.from_ical(event.rrule))
    if event.exdates:
        component.add("exdate", [dt.datetime.fromisoformat(value).replace(tzinfo=zone) for value in event.exdates])
    if event.status == "canceled":
        component.add("status", "CANCELLED")
    return component
