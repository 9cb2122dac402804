"""Calendar forms: they read local dates and times in the event's zone and build the RRULE."""

import datetime as dt
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import time_zone_choices
from accounts.models import User

from .models import AgendaDay, Channel

REPEAT_CHOICES = [
    ("", _("Does not repeat")),
    ("DAILY", _("Daily")),
    ("WEEKLY", _("Weekly")),
    ("MONTHLY", _("Monthly")),
    ("YEARLY", _("Yearly")),
]
WEEKDAYS = [
    ("MO", _("Mon")),
    ("TU", _("Tue")),
    ("WE", _("Wed")),
    ("TH", _("Thu")),
    ("FR", _("Fri")),
    ("SA", _("Sat")),
    ("SU", _("Sun")),
]
ISO_WEEKDAYS = [(str(number), label) for number, (_code, label) in enumerate(WEEKDAYS, start=1)]
BEFORE_CHOICES = [
    ("5", _("5 minutes before")),
    ("15", _("15 minutes before")),
    ("60", _("1 hour before")),
    ("1440", _("1 day before")),
    ("custom", _("Minutes before (below)")),
    ("fixed", _("At a fixed time")),
]
LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    group = forms.ModelChoiceField(
        label=_("Shared with"), queryset=None, required=False, empty_label=_("Nobody (private)")
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = user.groups.order_by("name")


class EventForm(forms.Form):
    calendar = forms.ModelChoiceField(label=_("Calendar"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    all_day = forms.BooleanField(label=_("All day"), required=False)
    start = forms.DateTimeField(label=_("Start"), widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    end = forms.DateTimeField(label=_("End"), widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    time_zone = forms.ChoiceField(label=_("Time zone"))
    repeat = forms.ChoiceField(label=_("Repeats"), choices=REPEAT_CHOICES, required=False)
    weekdays = forms.MultipleChoiceField(
        label=_("On"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For weekly events."),
    )
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(label=_("Or this many times"), required=False, min_value=1, max_value=5000)
    skip = forms.CharField(
        label=_("Except on"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Dates without an occurrence, one per line: 2030-03-11."),
    )
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reminders = forms.MultipleChoiceField(
        label=_("Remind me by SMS"),
        choices=[(minutes, label) for minutes, label in BEFORE_CHOICES if minutes.isdigit()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("More reminders, or one at a fixed time, on the event's page."),
    )

    def __init__(self, *args, calendars, with_reminders: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_reminders:  # an existing event's reminders are edited on its page
            del self.fields["reminders"]
        self.fields["calendar"].queryset = calendars
        self.fields["time_zone"].choices = time_zone_choices()
        # The form shows and reads wall-clock times of the chosen zone, not the page's.
        for name in ("start", "end"):
            self.fields[name].localize = False

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        zone = zoneinfo.ZoneInfo(cleaned["time_zone"])
        start = cleaned["start"].replace(tzinfo=None)
        end = cleaned["end"].replace(tzinfo=None)
        if cleaned["all_day"]:
            start = dt.datetime.combine(start.date(), dt.time.min)
            end = dt.datetime.combine(max(end.date(), start.date()) + dt.timedelta(days=1), dt.time.min)
        cleaned["start_at"], cleaned["end_at"] = start.replace(tzinfo=zone), end.replace(tzinfo=zone)
        cleaned["rrule"] = self._rule(cleaned, zone)
        cleaned["exdates"] = self._exceptions(cleaned.get("skip", ""), start.time())
        return cleaned

    def _exceptions(self, text: str, at: dt.time) -> list[str]:
        """Each listed date, at the event's start time: the local wall-clock starts to skip."""
        found = []
        for line in text.split():
            try:
                found.append(dt.datetime.combine(dt.date.fromisoformat(line), at).isoformat())
            except ValueError:
                self.add_error("skip", _("“%(value)s” is not a date like 2030-03-11.") % {"value": line[:20]})
        return found

    @staticmethod
    def _rule(cleaned: dict, zone: zoneinfo.ZoneInfo) -> str:
        if not cleaned.get("repeat"):
            return ""
        parts = [f"FREQ={cleaned['repeat']}"]
        if cleaned["repeat"] == "WEEKLY" and cleaned.get("weekdays"):
            parts.append("BYDAY=" + ",".join(cleaned["weekdays"]))
        if cleaned.get("count"):
            parts.append(f"COUNT={cleaned['count']}")
        elif cleaned.get("until"):
            last = dt.datetime.combine(cleaned["until"], dt.time(23, 59, 59)).replace(tzinfo=zone)
            parts.append("UNTIL=" + last.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"))
        return ";".join(parts)

    @classmethod
    def initial_for(cls, event) -> dict:
        zone = zoneinfo.ZoneInfo(event.time_zone)
        parts = dict(p.split("=", 1) for p in event.rrule.split(";") if "=" in p)
        until = parts.get("UNTIL")
        return {
            "calendar": event.calendar_id,
            "title": event.title,
            "location": event.location,
            "all_day": event.all_day,
            "notes": event.notes,
            "time_zone": event.time_zone,
            "start": event.start.astimezone(zone).replace(tzinfo=None),
            "end": (event.end.astimezone(zone) - (dt.timedelta(days=1) if event.all_day else dt.timedelta(0))).replace(
                tzinfo=None
            ),
            "repeat": parts.get("FREQ", ""),
            "weekdays": parts.get("BYDAY", "").split(",") if "BYDAY" in parts else [],
            "count": parts.get("COUNT"),
            "skip": "\n".join(value[:10] for value in event.exdates),
            "until": dt.datetime.strptime(until[:8], "%Y%m%d").date() if until else None,
        }


class ReminderForm(forms.Form):
    when = forms.ChoiceField(label=_("Remind me"), choices=BEFORE_CHOICES, initial="15")
    minutes = forms.IntegerField(label=_("Minutes before"), required=False, min_value=0, max_value=43200)
    fixed_at = forms.DateTimeField(
        label=_("Fixed date and time"), required=False, widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    channel = forms.ChoiceField(label=_("By"), choices=Channel.choices, initial=Channel.SMS)

    def clean(self) -> dict:
        cleaned = super().clean()
        when = cleaned.get("when")
        if when == "custom" and cleaned.get("minutes") is None:
            self.add_error("minutes", _("Give the number of minutes."))
        if when == "fixed" and not cleaned.get("fixed_at"):
            self.add_error("fixed_at", _("Give the date and time."))
        return cleaned

    def reminder_arguments(self, zone: zoneinfo.ZoneInfo) -> dict:
        when = self.cleaned_data["when"]
        if when == "fixed":
            return {"fixed_at": self.cleaned_data["fixed_at"].replace(tzinfo=zone)}
        minutes = self.cleaned_data["minutes"] if when == "custom" else int(when)
        return {"minutes_before": minutes}


class AgendaForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send me my agenda by SMS"), required=False)
    send_time = forms.TimeField(label=_("At (your local time)"), widget=forms.TimeInput(attrs={"type": "time"}))
    weekdays = forms.MultipleChoiceField(
        label=_("On"), choices=ISO_WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    day = forms.ChoiceField(label=_("With the events of"), choices=AgendaDay.choices)
    max_parts = forms.IntegerField(label=_("At most this many SMS parts"), min_value=1, max_value=10)
    send_empty = forms.BooleanField(label=_("Also on a day without events"), required=False)


class ImportForm(forms.Form):
    calendar = forms.ModelChoiceField(label=_("Into calendar"), queryset=None, empty_label=None)
    file = forms.FileField(label=_("iCalendar file (.ics)"))

    def __init__(self, *args, calendars, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = calendars
