from django.urls import path

from . import views

urlpatterns = [
    path("messages/", views.messages_compose, name="messages_compose"),
    path("messages/sent/", views.messages_history, name="messages_history"),
    path("messages/sent/<int:broadcast_id>/", views.messages_detail, name="messages_detail"),
    path("messages/templates/", views.message_templates, name="message_templates"),
    path(
        "messages/templates/<int:template_id>/delete/",
        views.message_template_delete_view,
        name="message_template_delete",
    ),
]
