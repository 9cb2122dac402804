"""Calendars, events, SMS reminders and the agenda by SMS. Thin: writes are in services.py."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import OwnedByUserOrGroup, exactly_one_owner


class Calendar(OwnedByUserOrGroup):
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name", "id"]
        constraints = [exactly_one_owner("calendar_one_owner")]

    def __str__(self) -> str:
        return self.name


class EventStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    CANCELED = "canceled", _("canceled")


class Event(models.Model):
    """An event, or the first occurrence of a repeating one (RFC 5545 RRULE, EXDATE)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(_("title"), max_length=200)
    location = models.CharField(_("location"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    time_zone = models.CharField(_("time zone"), max_length=64)
    all_day = models.BooleanField(_("all day"), default=False)
    start = models.DateTimeField(_("start"))  # of the first occurrence, UTC
    end = models.DateTimeField(_("end"))
    rrule = models.CharField(_("repeats"), max_length=300, blank=True)
    # Local wall-clock starts ("2026-03-02T09:00:00") of occurrences that do not happen.
    exdates = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=EventStatus.choices, default=EventStatus.CONFIRMED)
    # The end of the last occurrence (None: repeats for ever): "upcoming" lists filter on it.
    series_end = models.DateTimeField(null=True, blank=True, db_index=True)
    uid = models.CharField(max_length=255, blank=True)  # the iCalendar UID, kept through import/export

    class Meta:
        ordering = ["start", "id"]
        # An imported event may last no time at all (Google writes such events).
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="event_ends_at_or_after_start")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start

    @property
    def excluded(self) -> frozenset[dt.datetime]:
        return frozenset(dt.datetime.fromisoformat(value) for value in self.exdates)


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("email")


class Reminder(models.Model):
    """Remind the event's owner `minutes_before` each occurrence (or once, at `fixed_at`)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    minutes_before = models.PositiveIntegerField(null=True, blank=True)
    fixed_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS)
    # The next firing and the occurrence it is for; NULL once the series is over.
    next_fire_at = models.DateTimeField(null=True, blank=True)
    next_occurrence = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["next_fire_at"], condition=Q(next_fire_at__isnull=False), name="reminder_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes_before__isnull=False, fixed_at__isnull=True)
                | Q(minutes_before__isnull=True, fixed_at__isnull=False),
                name="reminder_relative_or_fixed",
            )
        ]

    def __str__(self) -> str:
        return f"reminder of {self.event}"


class FiringStatus(models.TextChoices):
    SENT = "sent", _("sent")
    MISSED = "missed", _("missed")
    SKIPPED = "skipped", _("not sent")
    FAILED = "failed", _("failed")


class Firing(models.Model):
    """What happened when something was due: sent (with its SMS), or not and why."""

    fired_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=FiringStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey("messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        abstract = True


class ReminderFiring(Firing):
    """One occurrence's reminder, done: at most one per (reminder, occurrence)."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="firings")
    occurrence = models.DateTimeField()

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["reminder", "occurrence"], name="one_firing_per_occurrence")]

    def __str__(self) -> str:
        return f"{self.reminder} for {self.occurrence:%Y-%m-%d %H:%M}"


class AgendaDay(models.TextChoices):
    TODAY = "today", _("the same day")
    TOMORROW = "tomorrow", _("the next day")


class AgendaSubscription(models.Model):
    """The agenda by SMS: a day's events at a chosen local time on chosen weekdays."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agenda")
    enabled = models.BooleanField(_("send me my agenda by SMS"), default=False)
    send_time = models.TimeField(_("at"), default=dt.time(7, 0))
    # ISO weekday numbers, Monday = 1: "12345" is Monday to Friday.
    weekdays = models.CharField(_("on"), max_length=7, default="12345")
    day = models.CharField(_("with the events of"), max_length=8, choices=AgendaDay.choices, default=AgendaDay.TODAY)
    max_parts = models.PositiveSmallIntegerField(_("at most this many SMS parts"), default=2)
    send_empty = models.BooleanField(_("also on a day without events"), default=False)
    next_fire_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_fire_at"], condition=Q(next_fire_at__isnull=False), name="agenda_due")]
        constraints = [models.CheckConstraint(condition=Q(max_parts__gte=1, max_parts__lte=10), name="agenda_parts")]

    def __str__(self) -> str:
        return f"agenda of {self.user}"


class AgendaFiring(Firing):
    """One day's agenda, done: at most one per (subscription, day)."""

    subscription = models.ForeignKey(AgendaSubscription, on_delete=models.CASCADE, related_name="firings")
    day = models.DateField()

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "day"], name="one_agenda_per_day")]

    def __str__(self) -> str:
        return f"agenda for {self.day}"
