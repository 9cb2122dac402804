from django.urls import path

from . import views

urlpatterns = [
    path("calendar/", views.upcoming, name="calendar_upcoming"),
    path("calendar/day/", views.period_view, {"period": "day"}, name="calendar_day"),
    path("calendar/week/", views.period_view, {"period": "week"}, name="calendar_week"),
    path("calendar/month/", views.period_view, {"period": "month"}, name="calendar_month"),
    path("calendar/new/", views.calendar_new, name="calendar_new"),
    path("calendar/import/", views.calendar_import_view, name="calendar_import"),
    path("calendar/<int:calendar_id>/export.ics", views.calendar_export, name="calendar_export"),
    path("calendar/events/new/", views.event_new, name="event_new"),
    path("calendar/events/<int:event_id>/", views.event_detail, name="event_detail"),
    path("calendar/events/<int:event_id>/edit/", views.event_edit, name="event_edit"),
    path("calendar/events/<int:event_id>/cancel/", views.event_cancel_view, name="event_cancel"),
    path("calendar/events/<int:event_id>/delete/", views.event_delete_view, name="event_delete"),
    path("calendar/reminders/<int:reminder_id>/delete/", views.reminder_delete_view, name="reminder_delete"),
    path("calendar/agenda/", views.agenda_settings, name="agenda_settings"),
    path("calendar/log/", views.reminder_log, name="reminder_log"),
]
