"""Messages and recipients in the admin: read and filter everything; cancel a scheduled send."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.phones import PhoneNumberError, parse_number
from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .display import text_shown
from .models import (
    IncomingSMS,
    Message,
    MessageStatus,
    MessageTemplate,
    OptOut,
    OptOutChange,
    Recipient,
    RecipientEvent,
    SenderId,
    SendingLimits,
)
from .services.accepting import message_cancel
from .services.incoming import reply_assign
from .services.optout import optout_add, optout_remove
from .services.planning import SendRefused
from .services.senders import SenderIdRefused, sender_id_decide


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


class RecipientEventInline(ReadOnlyInline):
    """The recipient's history: why reconciliation settled an unknown outcome as it did."""

    model = RecipientEvent
    fields = ("at", "status_from", "status_to", "source", "reason")
    readonly_fields = fields


@admin.register(Recipient)
class RecipientAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "to", "status", "message", "attempts", "provider_id", "error_reason", "updated_at")
    list_filter = ("status", "message__gateway", ("updated_at", admin.DateFieldListFilter))
    list_select_related = ("message",)
    search_fields = ("to", "provider_id", "message__user__username")
    raw_id_fields = ("message", "contact")
    show_full_result_count = False
    inlines = [RecipientEventInline]


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


class UnmatchedFilter(admin.SimpleListFilter):
    """The administrators' inbox: replies that matched no SMS sent within the window."""

    title = gettext_lazy("owner")
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("none", _("nobody (the inbox)")), ("some", _("a user"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(user__isnull=True, kind=IncomingSMS.Kind.REPLY)
        if self.value() == "some":
            return queryset.filter(user__isnull=False)
        return queryset


@admin.register(IncomingSMS)
class IncomingSMSAdmin(admin.ModelAdmin):
    """Every incoming SMS; one nobody matched is given to a user by choosing them here."""

    list_display = ("id", "received_at", "from_number", "kind", "user", "text_shown", "gateway")
    list_filter = (UnmatchedFilter, "kind", "gateway", ("received_at", admin.DateFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("from_number", "text", "user__username")
    raw_id_fields = ("user",)
    fields = ("user", "from_number", "to_number", "text_shown", "received_at", "kind", "gateway", "provider_id")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f for f in self.fields if f != "user"]

    def has_add_permission(self, request) -> bool:
        return False  # incoming SMS come from providers and `manage.py sms_receive`

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Text"))
    def text_shown(self, incoming: IncomingSMS) -> str:
        return text_shown(incoming.text)

    def save_model(self, request, obj, form, change) -> None:
        if obj.user is not None and "user" in form.changed_data:
            reply_assign(incoming=obj, user=obj.user)


class OptOutForm(forms.ModelForm):
    remove_because = forms.CharField(
        label=gettext_lazy("Take off the list, because"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Filled in: the number gets SMS again; the reason is recorded."),
    )

    class Meta:
        model = OptOut
        fields = ("gateway", "number", "reason")

    def clean_number(self) -> str:
        try:
            return parse_number(self.cleaned_data["number"]).e164
        except PhoneNumberError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the number goes on the list."))
        return data


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    """The opt-out list: each add and removal goes through the service and is recorded (who, why)."""

    form = OptOutForm
    list_display = ("number", "gateway", "reason", "created_at")
    list_filter = ("gateway",)
    search_fields = ("number", "reason")
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        return ("gateway", "number", "reason", "remove_because") if obj else ("gateway", "number", "reason")

    def get_readonly_fields(self, request, obj=None):
        return ("gateway", "number", "reason") if obj else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # removal asks why: the change form's "Take off the list, because"

    def save_model(self, request, obj, form, change) -> None:
        now = timezone.now()
        if not change:
            optout_add(gateway=obj.gateway, number=obj.number, reason=obj.reason, actor=request.user, now=now)
            # The admin's messages and log name the row the service wrote (or found).
            obj.pk = OptOut.objects.get(gateway=obj.gateway, number=obj.number).pk
        elif form.cleaned_data.get("remove_because"):
            optout_remove(
                gateway=obj.gateway,
                number=obj.number,
                reason=form.cleaned_data["remove_because"],
                actor=request.user,
                now=now,
            )

    def response_change(self, request, obj):
        if not OptOut.objects.filter(pk=obj.pk).exists():
            messages.success(request, _("%(number)s is off the opt-out list.") % {"number": obj})
            return redirect("admin:messaging_optout_changelist")
        return super().response_change(request, obj)


@admin.register(OptOutChange)
class OptOutChangeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("at", "number", "action", "actor", "reason", "gateway")
    list_filter = ("action", "gateway")
    search_fields = ("number", "reason", "actor__username")
    list_select_related = ("actor",)
    show_full_result_count = False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "group", "subject", "channels", "updated_at")
    search_fields = ("name", "subject", "user__username")
    raw_id_fields = ("user",)
    list_filter = ("group",)


class SenderIdDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("refuse", gettext_lazy("Refuse"))],
        widget=forms.RadioSelect,
    )
    because = forms.CharField(
        label=gettext_lazy("Reason (a refusal)"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Shown to whoever asked: what to ask for instead."),
    )

    class Meta:
        model = SenderId
        fields = ()

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not (data.get("because") or "").strip():
            self.add_error("because", _("Say why the sender ID is refused: the person who asked reads it."))
        return data


@admin.register(SenderId)
class SenderIdAdmin(admin.ModelAdmin):
    """Sender IDs asked for on Settings → Sender IDs: approved or refused here, through the
    service (who and when recorded; a refusal says why). Asking is the owners' page's."""

    form = SenderIdDecisionForm
    list_display = ("name", "owner", "status", "requested_by", "requested_at", "decided_by", "decided_at", "reason")
    list_filter = ("status",)
    search_fields = ("name", "organisation__name", "user__username")
    list_select_related = ("organisation", "user", "requested_by", "decided_by")
    readonly_fields = (
        "name",
        "organisation",
        "user",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "reason",
    )
    actions = ["approve"]

    @admin.display(description=gettext_lazy("for"))
    def owner(self, sender_id: SenderId) -> str:
        return str(sender_id.organisation or sender_id.user)

    def get_fields(self, request, obj=None):
        return (*self.readonly_fields, "decision", "because")

    def has_add_permission(self, request) -> bool:
        return False  # asked for by the organisation on its settings page

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # refuse it instead: the record of who decided stays

    def save_model(self, request, obj, form, change) -> None:
        sender_id_decide(
            sender_id=obj,
            approve=form.cleaned_data["decision"] == "approve",
            by=request.user,
            reason=form.cleaned_data.get("because", ""),
            now=timezone.now(),
        )

    @admin.action(description=gettext_lazy("Approve the selected sender IDs"))
    def approve(self, request, queryset) -> None:
        now = timezone.now()
        for sender_id in queryset:
            try:
                sender_id_decide(sender_id=sender_id, approve=True, by=request.user, now=now)
            except SenderIdRefused as refused:
                messages.error(request, f"{sender_id}: {refused}")
                return
        messages.success(request, _("%(count)s sender IDs approved.") % {"count": queryset.count()})
