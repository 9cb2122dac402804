"""Calendars, events, reminders and the agenda in the admin: read and filter.

Events carry derived fields (the series' end, each reminder's next firing) that the
reminders services keep in step with the repeat rule and the time zone: a change made
here would bypass them, so the admin shows these rows and the pages edit them.
"""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import AgendaFiring, AgendaSubscription, Calendar, Event, Reminder, ReminderFiring


@admin.register(Calendar)
class CalendarAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("name", "owner", "group")
    list_filter = ("group",)
    search_fields = ("name", "owner__username", "group__name")


class ReminderInline(ReadOnlyInline):
    model = Reminder
    fields = ("user", "minutes_before", "fixed_at", "channel", "next_fire_at")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("title", "calendar", "start", "end", "time_zone", "rrule", "status")
    list_filter = ("status", "all_day")
    list_select_related = ("calendar",)
    search_fields = ("title", "location", "uid", "calendar__name")
    date_hierarchy = "start"
    inlines = [ReminderInline]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("event", "user", "minutes_before", "fixed_at", "channel", "next_fire_at")
    list_filter = ("channel",)
    list_select_related = ("event", "user")
    search_fields = ("event__title", "user__username")


@admin.register(ReminderFiring)
class ReminderFiringAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("fired_at", "reminder", "occurrence", "status", "reason", "message")
    list_filter = ("status",)
    list_select_related = ("reminder__event",)
    search_fields = ("reminder__event__title", "reminder__user__username", "reason")


@admin.register(AgendaSubscription)
class AgendaSubscriptionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("user", "enabled", "send_time", "weekdays", "day", "next_fire_at")
    list_filter = ("enabled", "day")
    search_fields = ("user__username",)


@admin.register(AgendaFiring)
class AgendaFiringAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("fired_at", "subscription", "day", "status", "reason", "message")
    list_filter = ("status",)
    search_fields = ("subscription__user__username", "reason")
