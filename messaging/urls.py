from django.urls import path

from . import api, api_replies, views, views_replies, views_senders, webhooks

urlpatterns = [
    path("sms/", views.history, name="sms_history"),
    path("sms/export.csv", views.history_export, name="sms_history_export"),
    path("sms/new/", views.compose, name="sms_compose"),
    path("sms/new/counter/", views.compose_counter, name="sms_counter"),
    path("sms/<int:message_id>/", views.message_detail, name="sms_detail"),
    path("sms/<int:message_id>/cancel/", views.message_cancel_view, name="sms_cancel"),
    path("sms/replies/", views_replies.replies_index, name="sms_replies"),
    path("sms/replies/<int:reply_id>/", views_replies.conversation, name="sms_conversation"),
    path("settings/replies/", views_replies.reply_settings, name="reply_settings"),
    path("settings/sender-ids/", views_senders.sender_ids, name="sender_ids"),
    path("sms/optouts/new/", views_replies.optout_new, name="sms_optout_new"),
    path("sms/<int:message_id>/export.csv", views.message_export, name="sms_export"),
    path("settings/organisation/export.csv", views.organisation_export, name="organisation_export"),
    path("api/v1/messages/", api.MessagesView.as_view(), name="api_messages"),
    path("api/v1/messages/<int:message_id>/", api.MessageView.as_view(), name="api_message"),
    path("api/v1/replies/", api_replies.RepliesView.as_view(), name="api_replies"),
    path("api/v1/replies/<int:reply_id>/read/", api_replies.ReplyReadView.as_view(), name="api_reply_read"),
    path("api/v1/segments/", api.SegmentsView.as_view(), name="api_segments"),
    path("webhooks/sms/<slug:alias>/status/", webhooks.status_callback, name="sms_status_callback"),
    path("webhooks/sms/<slug:alias>/incoming/", webhooks.incoming_message, name="sms_incoming"),
]
