from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from accounts.forms import LimitedPasswordResetForm
from accounts.views import api_token, contacts, lists, personal
from credits import api as credits_api
from credits import views as credits_views
from mailalerts import views as mailalerts_views
from messaging import api as messaging_api
from messaging import messages_views, webhooks
from messaging import views as messaging_views
from reminders import views as calendar_views

from . import api_errors, health, views

urlpatterns = [
    path("", views.home, name="home"),
    # Before Django's own: the reset form with its limits (accounts/password_reset.py).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=LimitedPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("settings/personal/", personal.personal_data, name="personal_data"),
    path("settings/credit/", credits_views.credit_page, name="credit"),
    path("settings/quotas/", credits_views.quotas_page, name="quotas"),
    path("settings/credit/history/", credits_views.ledger_page, name="ledger"),
    path("settings/api/", api_token.api_settings, name="api_settings"),
    path("contacts/", contacts.contact_index, name="contact_index"),
    path("contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/import/", contacts.contact_import, name="contact_import"),
    path("contacts/export.vcf", contacts.contact_export, name="contact_export"),
    path("contacts/<int:contact_id>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", contacts.contact_remove, name="contact_delete"),
    path("lists/", lists.list_index, name="list_index"),
    path("lists/new/", lists.list_create, name="list_create"),
    path("lists/<int:list_id>/", lists.list_detail, name="list_detail"),
    path("lists/<int:list_id>/edit/", lists.list_edit, name="list_edit"),
    path("lists/<int:list_id>/delete/", lists.list_remove, name="list_delete"),
    path("lists/<int:list_id>/add/<int:contact_id>/", lists.list_add_contact, name="list_add_contact"),
    path("lists/<int:list_id>/members/<int:member_id>/remove/", lists.list_member_delete, name="list_member_delete"),
    path("sms/", messaging_views.history, name="sms_history"),
    path("sms/new/", messaging_views.compose, name="sms_compose"),
    path("sms/new/counter/", messaging_views.compose_counter, name="sms_counter"),
    path("sms/<int:message_id>/", messaging_views.message_detail, name="sms_detail"),
    path("sms/<int:message_id>/cancel/", messaging_views.message_cancel_view, name="sms_cancel"),
    path("messages/", messages_views.messages_compose, name="messages_compose"),
    path("messages/sent/", messages_views.messages_history, name="messages_history"),
    path("messages/sent/<int:broadcast_id>/", messages_views.messages_detail, name="messages_detail"),
    path("messages/templates/", messages_views.message_templates, name="message_templates"),
    path(
        "messages/templates/<int:template_id>/delete/",
        messages_views.message_template_delete_view,
        name="message_template_delete",
    ),
    path("calendar/", calendar_views.upcoming, name="calendar_upcoming"),
    path("calendar/day/", calendar_views.period_view, {"period": "day"}, name="calendar_day"),
    path("calendar/week/", calendar_views.period_view, {"period": "week"}, name="calendar_week"),
    path("calendar/month/", calendar_views.period_view, {"period": "month"}, name="calendar_month"),
    path("calendar/new/", calendar_views.calendar_new, name="calendar_new"),
    path("calendar/import/", calendar_views.calendar_import_view, name="calendar_import"),
    path("calendar/<int:calendar_id>/export.ics", calendar_views.calendar_export, name="calendar_export"),
    path("calendar/events/new/", calendar_views.event_new, name="event_new"),
    path("calendar/events/<int:event_id>/", calendar_views.event_detail, name="event_detail"),
    path("calendar/events/<int:event_id>/edit/", calendar_views.event_edit, name="event_edit"),
    path("calendar/events/<int:event_id>/cancel/", calendar_views.event_cancel_view, name="event_cancel"),
    path("calendar/events/<int:event_id>/delete/", calendar_views.event_delete_view, name="event_delete"),
    path("calendar/reminders/<int:reminder_id>/delete/", calendar_views.reminder_delete_view, name="reminder_delete"),
    path("calendar/agenda/", calendar_views.agenda_settings, name="agenda_settings"),
    path("calendar/log/", calendar_views.reminder_log, name="reminder_log"),
    path("mail-alerts/", mailalerts_views.index, name="mailalerts_index"),
    path("mail-alerts/mailboxes/new/", mailalerts_views.mailbox_new, name="mailalerts_mailbox_new"),
    path("mail-alerts/mailboxes/<int:mailbox_id>/", mailalerts_views.mailbox_edit, name="mailalerts_mailbox_edit"),
    path(
        "mail-alerts/mailboxes/<int:mailbox_id>/test/",
        mailalerts_views.mailbox_test_view,
        name="mailalerts_mailbox_test",
    ),
    path(
        "mail-alerts/mailboxes/<int:mailbox_id>/delete/",
        mailalerts_views.mailbox_delete_view,
        name="mailalerts_mailbox_delete",
    ),
    path("mail-alerts/filters/new/", mailalerts_views.filter_new, name="mailalerts_filter_new"),
    path("mail-alerts/filters/<int:filter_id>/", mailalerts_views.filter_edit, name="mailalerts_filter_edit"),
    path("mail-alerts/filters/<int:filter_id>/move/", mailalerts_views.filter_move, name="mailalerts_filter_move"),
    path(
        "mail-alerts/filters/<int:filter_id>/delete/", mailalerts_views.filter_delete, name="mailalerts_filter_delete"
    ),
    path("mail-alerts/settings/", mailalerts_views.alert_settings, name="mailalerts_settings"),
    path("mail-alerts/log/", mailalerts_views.alert_log_view, name="mailalerts_log"),
    path("api/v1/credits/", credits_api.CreditsView.as_view(), name="api_credits"),
    path("api/v1/messages/", messaging_api.MessagesView.as_view(), name="api_messages"),
    path("api/v1/messages/<int:message_id>/", messaging_api.MessageView.as_view(), name="api_message"),
    path("api/v1/segments/", messaging_api.SegmentsView.as_view(), name="api_segments"),
    path("webhooks/sms/<slug:alias>/status/", webhooks.status_callback, name="sms_status_callback"),
    # The schema and its documentation are for users (token or session): the README lists
    # what answers without a login.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api_schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
]

# JSON errors under /api/, Django's pages elsewhere (smsoffice/api_errors.py).
handler400 = api_errors.bad_request
handler404 = api_errors.page_not_found
handler500 = api_errors.server_error
