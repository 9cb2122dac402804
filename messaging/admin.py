"""Messages and recipients in the admin: read and filter everything; cancel a scheduled send."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin

from .models import Message, MessageStatus, MessageTemplate, Recipient, SendingLimits
from .services.accepting import message_cancel
from .services.planning import SendRefused


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "created_at", "user", "status", "gateway", "segments", "credits_held", "send_at", "body")
    list_filter = (
        "status",
        "gateway",
        ("user", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    list_select_related = ("user",)
    search_fields = ("user__username", "body")
    date_hierarchy = "created_at"
    actions = ["cancel"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed to run the cancel action; every field is read-only.
        return request.user.is_staff

    def get_readonly_fields(self, request, obj=None):
        return [*(f.name for f in self.model._meta.fields), "recipients_link"]

    @admin.display(description=gettext_lazy("Recipients"))
    def recipients_link(self, message: Message) -> str:
        url = reverse("admin:messaging_recipient_changelist") + f"?message__id__exact={message.pk}"
        return format_html(
            '<a href="{}">{}</a>', url, _("%(count)s recipients") % {"count": message.recipients.count()}
        )

    @admin.action(description=gettext_lazy("Cancel the selected scheduled sends (their credit comes back)"))
    def cancel(self, request, queryset) -> None:
        done = 0
        for message in queryset.filter(status=MessageStatus.SCHEDULED):
            try:
                message_cancel(message=message)
                done += 1
            except SendRefused as error:
                messages.error(request, str(error))
        messages.success(request, _("%(count)s scheduled sends canceled.") % {"count": done})


@admin.register(Recipient)
class RecipientAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "to", "status", "message", "attempts", "provider_id", "error_reason", "updated_at")
    list_filter = ("status", "message__gateway", ("updated_at", admin.DateFieldListFilter))
    list_select_related = ("message",)
    search_fields = ("to", "provider_id", "message__user__username")
    raw_id_fields = ("message", "contact")
    show_full_result_count = False


@admin.register(SendingLimits)
class SendingLimitsAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "max_recipients_per_send",
        "max_sms_per_day",
        "max_emails_per_day",
        "max_faxes_per_day",
        "allowed_countries",
    )
    raw_id_fields = ("user",)
    search_fields = ("user__username",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "group", "subject", "channels", "updated_at")
    search_fields = ("name", "subject", "user__username")
    raw_id_fields = ("user",)
    list_filter = ("group",)
