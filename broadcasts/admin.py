"""The Messages tool in the admin: read and filter sends, their copies and templates."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin

from .models import Broadcast, Delivery


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Messages tool sends; their SMS copy is an ordinary Message (see SMS messages)."""

    list_display = ("id", "created_at", "user", "subject", "channels", "person_count", "sms_message")
    list_filter = ("channels", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("user__username", "subject")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [*(f.name for f in self.model._meta.fields), "deliveries_link"]

    @admin.display(description=gettext_lazy("Copies"))
    def deliveries_link(self, broadcast: Broadcast) -> str:
        url = reverse("admin:broadcasts_delivery_changelist") + f"?broadcast__id__exact={broadcast.pk}"
        return format_html('<a href="{}">{}</a>', url, _("every recipient x channel"))


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "broadcast", "name", "channel", "address", "status", "attempts", "error_reason", "updated_at")
    list_filter = ("channel", "status", ("updated_at", admin.DateFieldListFilter))
    list_select_related = ("broadcast",)
    search_fields = ("address", "name", "broadcast__user__username")
    raw_id_fields = ("broadcast", "contact", "sms_recipient")
    show_full_result_count = False
