"""Mail alerts in the admin: read and filter; passwords are never shown (not even encrypted)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AlertLog, AlertSettings, Mailbox, MailFilter


@admin.register(Mailbox)
class MailboxAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "user", "name", "host", "port", "security", "folder", "active", "failures", "last_poll_at")
    list_filter = ("active", "security", ("user", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("user__username", "name", "host", "username")
    exclude = ("password_encrypted", "lease_token")
    show_full_result_count = False


@admin.register(MailFilter)
class MailFilterAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "user", "position", "name", "match", "notify_to", "stop", "active")
    list_filter = ("active", "match")
    list_select_related = ("user",)
    search_fields = ("user__username", "name")


@admin.register(AlertSettings)
class AlertSettingsAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("user", "quiet_start", "quiet_end", "quiet_mode", "max_per_hour", "max_per_day")
    list_select_related = ("user",)
    search_fields = ("user__username",)


@admin.register(AlertLog)
class AlertLogAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "created_at", "user", "mailbox", "status", "filter_name", "to", "reason")
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("user", "mailbox")
    search_fields = ("user__username", "sender", "subject")
    date_hierarchy = "created_at"
    show_full_result_count = False
