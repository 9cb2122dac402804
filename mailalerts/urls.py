from django.urls import path

from . import views

urlpatterns = [
    path("mail-alerts/", views.index, name="mailalerts_index"),
    path("mail-alerts/mailboxes/new/", views.mailbox_new, name="mailalerts_mailbox_new"),
    path("mail-alerts/mailboxes/<int:mailbox_id>/", views.mailbox_edit, name="mailalerts_mailbox_edit"),
    path("mail-alerts/mailboxes/<int:mailbox_id>/test/", views.mailbox_test_view, name="mailalerts_mailbox_test"),
    path("mail-alerts/mailboxes/<int:mailbox_id>/delete/", views.mailbox_delete_view, name="mailalerts_mailbox_delete"),
    path("mail-alerts/filters/new/", views.filter_new, name="mailalerts_filter_new"),
    path("mail-alerts/filters/<int:filter_id>/", views.filter_edit, name="mailalerts_filter_edit"),
    path("mail-alerts/filters/<int:filter_id>/move/", views.filter_move, name="mailalerts_filter_move"),
    path("mail-alerts/filters/<int:filter_id>/delete/", views.filter_delete, name="mailalerts_filter_delete"),
    path("mail-alerts/settings/", views.alert_settings, name="mailalerts_settings"),
    path("mail-alerts/log/", views.alert_log_view, name="mailalerts_log"),
]
