"""iCalendar (RFC 5545) files: reading events for an import, writing a calendar for export."""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

import icalendar
from django.utils.translation import gettext as _

from .models import Event

DEFAULT_DURATION = dt.timedelta(hours=1)


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


def read_events(text: str, *, default_zone: str) -> list[ImportedEvent]:
    """Every VEVENT of `text`; raises IcsError naming the event that cannot be read."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as error:
        raise IcsError(_("This is not an iCalendar file: %(error)s") % {"error": str(error)[:200]}) from error
    events = []
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        title = str(component.get("summary", "")).strip() or _("(no title)")
        try:
            events.append(_read_event(component, title, default_zone))
        except (ValueError, KeyError, TypeError, AttributeError, zoneinfo.ZoneInfoNotFoundError) as error:
            raise IcsError(
                _("Event %(number)s (“%(title)s”) cannot be read: %(error)s")
                % {"number": number, "title": title[:60], "error": str(error)[:200]}
            ) from error
    return events


def write_calendar(events: Iterable[Event], *, name: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//SMS Office//Calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_vevent(event))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _read_event(component, title: str, default_zone: str) -> ImportedEvent:
    start = component.decoded("dtstart")
    tzid = component.get("dtstart").params.get("TZID")
    if tzid and getattr(start, "tzinfo", None) is None:
        # icalendar leaves the time floating when it does not know the zone: say so.
        raise ValueError(_("unknown time zone “%(zone)s”") % {"zone": tzid})
    all_day = isinstance(start, dt.date) and not isinstance(start, dt.datetime)
    if "dtend" in component:
        end = component.decoded("dtend")
    elif "duration" in component:
        end = start + component.decoded("duration")
    else:
        end = start + (dt.timedelta(days=1) if all_day else DEFAULT_DURATION)
    zone_name = _zone_name(start, default_zone)
    zone = zoneinfo.ZoneInfo(zone_name)
    start_at, end_at = _aware(start, zone), _aware(end, zone)
    rule = component.get("rrule")
    exdates = []
    for entry in _as_list(component.get("exdate")):
        for value in entry.dts:
            moment = value.dt
            local = _aware(moment, zone).astimezone(zone).replace(tzinfo=None)
            exdates.append(local.isoformat())
    return ImportedEvent(
        title=title[:200],
        start=start_at,
        end=end_at,
        time_zone=zone_name,
        all_day=all_day,
        location=str(component.get("location", ""))[:200],
        notes=str(component.get("description", ""))[:5000],
        rrule=rule.to_ical().decode() if rule else "",
        exdates=exdates,
        uid=str(component.get("uid", ""))[:255],
    )


def _zone_name(start, default_zone: str) -> str:
    tzinfo = getattr(start, "tzinfo", None)
    if tzinfo is None:
        return default_zone  # a floating time or a date: the user's own zone
    key = getattr(tzinfo, "key", None) or str(tzinfo)
    return "UTC" if key in ("UTC", "utc") else key


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
