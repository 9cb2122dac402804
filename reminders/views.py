"""Calendar pages: upcoming events, day/week/month views, events with reminders, agenda, log, .ics."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.contact_files import ContactFileError, decode_upload
from core.params import date_param

from . import selectors
from .access import access_calendar, access_event, access_reminder
from .forms import AgendaForm, CalendarForm, EventForm, ImportForm, ReminderForm
from .ical import write_calendar
from .models import AgendaFiring, AgendaSubscription
from .services.agenda import AgendaError, agenda_settings_save
from .services.calendars import (
    EventError,
    calendar_create,
    calendar_import,
    event_cancel,
    event_create_with_reminders,
    event_delete,
    event_save,
    reminder_add,
    reminder_delete,
)

PERIODS = {"day": 1, "week": 7}
UPCOMING_DAYS = 30


def _zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(request.user.time_zone)


@login_required
def upcoming(request: HttpRequest) -> HttpResponse:
    zone = _zone(request)
    since = dt.datetime.now(zone)
    items = selectors.occurrences_between(
        user=request.user, since=since, until=since + dt.timedelta(days=UPCOMING_DAYS)
    )
    context = {"items": items[:200], "calendars": selectors.calendars_visible(user=request.user)}
    return render(request, "reminders/upcoming.html", context)


@login_required
def period_view(request: HttpRequest, period: str) -> HttpResponse:
    """Day, week (from Monday) or month view around ?date=YYYY-MM-DD, in the user's zone."""
    zone = _zone(request)
    day = date_param(request.GET.get("date", "")) or dt.datetime.now(zone).date()
    if period == "month":
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1)
        previous, following = (first - dt.timedelta(days=1)).replace(day=1), last
    else:
        first = day - dt.timedelta(days=day.weekday()) if period == "week" else day
        last = first + dt.timedelta(days=PERIODS[period])
        previous, following = first - dt.timedelta(days=PERIODS[period]), last
    since = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(last, dt.time.min, tzinfo=zone)
    items = selectors.occurrences_between(user=request.user, since=since, until=until)
    days = []
    current = first
    while current < last:
        days.append(
            (
                current,
                [
                    i
                    for i in items
                    if i.start.astimezone(zone).date()
                    <= current
                    < (i.end - dt.timedelta(microseconds=1)).astimezone(zone).date() + dt.timedelta(days=1)
                ],
            )
        )
        current += dt.timedelta(days=1)
    context = {
        "period": period,
        "first": first,
        "last": last - dt.timedelta(days=1),
        "days": days,
        "previous": previous,
        "following": following,
    }
    return render(request, "reminders/period.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_new(request: HttpRequest) -> HttpResponse:
    form = CalendarForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        calendar_create(name=form.cleaned_data["name"].strip(), owner=request.user, group=form.cleaned_data["group"])
        return redirect("calendar_upcoming")
    return render(request, "reminders/calendar_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request: HttpRequest) -> HttpResponse:
    return _event_form(request, event=None)


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    return _event_form(request, event=access_event(request.user, event_id))


def _calendars_ensured(request: HttpRequest):
    """The user's calendars; a first one is made on first use, so there is always one to choose."""
    calendars = selectors.calendars_visible(user=request.user)
    if not calendars.exists():
        calendar_create(name=_("My calendar"), owner=request.user)
    return calendars


def _event_form(request: HttpRequest, *, event) -> HttpResponse:
    calendars = _calendars_ensured(request)
    if event is not None:
        initial = EventForm.initial_for(event)
    else:
        now = dt.datetime.now(_zone(request)).replace(minute=0, second=0, microsecond=0, tzinfo=None)
        initial = {
            "time_zone": request.user.time_zone,
            "start": now + dt.timedelta(hours=1),
            "end": now + dt.timedelta(hours=2),
            "calendar": calendars.first(),
        }
    form = EventForm(request.POST or None, calendars=calendars, initial=initial, with_reminders=event is None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A new event takes its reminders with it (one transaction); an event's page edits them later.
        save, extra = (
            (event_save, {"event": event})
            if event is not None
            else (
                event_create_with_reminders,
                {"user": request.user, "reminders_minutes_before": [int(m) for m in data["reminders"]]},
            )
        )
        try:
            saved = save(
                **extra,
                calendar=data["calendar"],
                title=data["title"].strip(),
                start=data["start_at"],
                end=data["end_at"],
                time_zone=data["time_zone"],
                all_day=data["all_day"],
                location=data["location"].strip(),
                notes=data["notes"],
                rrule=data["rrule"],
                exdates=data["exdates"],
            )
        except EventError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("Event saved."))
            return redirect("event_detail", event_id=saved.pk)
    status = 400 if form.errors else 200
    return render(request, "reminders/event_form.html", {"form": form, "event": event}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    """The event, the user's reminders for it, and the form to add one."""
    event = access_event(request.user, event_id)
    form = ReminderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reminder_add(
                event=event,
                user=request.user,
                channel=form.cleaned_data["channel"],
                **form.reminder_arguments(zoneinfo.ZoneInfo(event.time_zone)),
            )
        except EventError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("Reminder added."))
            return redirect("event_detail", event_id=event.pk)
    reminders = event.reminders.filter(user=request.user)
    context = {"event": event, "form": form, "reminders": reminders, "needs_mobile": not request.user.mobile}
    return render(request, "reminders/event_detail.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def event_cancel_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = event_cancel(event=access_event(request.user, event_id))
    messages.success(request, _("Event canceled; its reminders will not be sent."))
    return redirect("event_detail", event_id=event.pk)


@login_required
@require_http_methods(["GET", "POST"])
def event_delete_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access_event(request.user, event_id)
    if request.method == "POST":
        event_delete(event=event)
        messages.success(request, _("Event deleted."))
        return redirect("calendar_upcoming")
    return render(request, "reminders/event_confirm_delete.html", {"event": event})


@login_required
@require_POST
def reminder_delete_view(request: HttpRequest, reminder_id: int) -> HttpResponse:
    reminder = access_reminder(request.user, reminder_id)
    event_id = reminder.event_id
    reminder_delete(reminder=reminder)
    return redirect("event_detail", event_id=event_id)


@login_required
@require_http_methods(["GET", "POST"])
def agenda_settings(request: HttpRequest) -> HttpResponse:
    subscription = AgendaSubscription.objects.filter(user=request.user).first() or AgendaSubscription(user=request.user)
    initial = {
        "enabled": subscription.enabled,
        "send_time": subscription.send_time,
        "weekdays": list(subscription.weekdays),
        "day": subscription.day,
        "max_parts": subscription.max_parts,
        "send_empty": subscription.send_empty,
    }
    form = AgendaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agenda_settings_save(
                user=request.user,
                enabled=data["enabled"],
                send_time=data["send_time"],
                weekdays="".join(data["weekdays"]),
                day=data["day"],
                max_parts=data["max_parts"],
                send_empty=data["send_empty"],
            )
        except AgendaError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("Agenda settings saved."))
            return redirect("agenda_settings")
    context = {"form": form, "subscription": subscription, "needs_mobile": not request.user.mobile}
    return render(request, "reminders/agenda.html", context, status=400 if form.errors else 200)


@login_required
def reminder_log(request: HttpRequest) -> HttpResponse:
    """Reminders and agendas sent, or not and why, with the SMS delivery state."""
    page = Paginator(selectors.reminder_log(user=request.user), 50).get_page(request.GET.get("page"))
    agendas = (
        AgendaFiring.objects.filter(subscription__user=request.user)
        .select_related("message")
        .prefetch_related("message__recipients")[:30]
    )
    return render(request, "reminders/log.html", {"page": page, "agendas": agendas})


@login_required
def calendar_export(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = access_calendar(request.user, calendar_id)
    body = write_calendar(calendar.events.all(), name=calendar.name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(calendar.name) or "calendar"}.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def calendar_import_view(request: HttpRequest) -> HttpResponse:
    calendars = _calendars_ensured(request)
    form = ImportForm(request.POST or None, request.FILES or None, calendars=calendars)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.CALENDAR_IMPORT_MAX_BYTES:
                raise EventError(
                    _(
                        "The file is too large: one import takes at most %(size)s; split the file into "
                        "smaller ones and import them one after the other."
                    )
                    % {"size": filesizeformat(settings.CALENDAR_IMPORT_MAX_BYTES)},
                    "file",
                )
            report = calendar_import(
                calendar=form.cleaned_data["calendar"],
                text=decode_upload(upload.read()),
                default_zone=request.user.time_zone,
            )
        except (EventError, ContactFileError) as error:
            form.add_error("file", str(error))
        else:
            messages.success(
                request,
                ngettext("%(count)s event imported.", "%(count)s events imported.", report.imported)
                % {"count": report.imported},
            )
            for note in report.left_out:
                messages.warning(request, note)
            return redirect("calendar_upcoming")
    limits = {"max_events": settings.CALENDAR_IMPORT_MAX_EVENTS, "max_bytes": settings.CALENDAR_IMPORT_MAX_BYTES}
    return render(request, "reminders/import.html", {"form": form, **limits}, status=400 if form.errors else 200)
