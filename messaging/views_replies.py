"""Replies: the conversations of the user's SMS, one conversation, and the hand-kept opt-out list."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.phones import PhoneNumberError, format_international, parse_number

from . import inbox
from .access import access_reply
from .models import ReplyPreferences
from .services.incoming import replies_mark_read
from .services.notify import reply_preferences_save
from .services.optout import optout_add

CONVERSATIONS_PER_PAGE = 25
ENTRIES_PER_PAGE = 50


@login_required
def replies_index(request: HttpRequest) -> HttpResponse:
    """Every number that answered the user, newest first, with its contact name and unread count."""
    page = Paginator(inbox.conversations(request.user), CONVERSATIONS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    names = inbox.contact_names(request.user, [row["from_number"] for row in rows])
    page.object_list = [
        {
            **row,
            "name": names.get(row["from_number"], ""),
            "shown_number": format_international(row["from_number"]),
            "last_shown": inbox.text_shown(row["last_text"]),
        }
        for row in rows
    ]
    return render(request, "messaging/replies.html", {"page": page, "reply_window": settings.SMS_REPLY_WINDOW})


@login_required
def conversation(request: HttpRequest, reply_id: int) -> HttpResponse:
    """One number's conversation with the user (what was sent, what came back); seeing it reads it."""
    reply = access_reply(request.user, reply_id)
    number = reply.from_number
    replies_mark_read(user=request.user, number=number, now=timezone.now())
    page = Paginator(inbox.conversation_thread(request.user, number), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "name": inbox.contact_names(request.user, [number]).get(number, ""),
        "shown_number": format_international(number),
        "answer_url": f"{reverse('sms_compose')}?{urlencode({'to': number})}",
    }
    return render(request, "messaging/conversation.html", context)


class OptOutForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Mobile number"), max_length=40)
    reason = forms.CharField(
        label=gettext_lazy("Why"),
        max_length=200,
        help_text=gettext_lazy("For example: asked by phone on Monday not to get SMS any more."),
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_number(self) -> str:
        try:
            parsed = parse_number(
                self.cleaned_data["number"], default_region=self.user.default_country or None, require_mobile=True
            )
        except PhoneNumberError as error:
            raise forms.ValidationError(str(error)) from None
        return parsed.e164


@login_required
@require_http_methods(["GET", "POST"])
def optout_new(request: HttpRequest) -> HttpResponse:
    """Someone asked (by phone, by mail) not to get SMS: their number goes on the opt-out list."""
    form = OptOutForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["number"]
        added = optout_add(
            gateway="default", number=number, reason=form.cleaned_data["reason"], actor=request.user, now=timezone.now()
        )
        text = (
            _("%(number)s is on the opt-out list: it will get no more SMS from here.")
            if added
            else _("%(number)s was already on the opt-out list.")
        )
        messages.success(request, text % {"number": format_international(number)})
        return redirect("sms_replies")
    return render(request, "messaging/optout_form.html", {"form": form}, status=400 if form.errors else 200)


class ReplySettingsForm(forms.ModelForm):
    class Meta:
        model = ReplyPreferences
        fields = ("by_email", "by_sms")

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if data.get("by_sms") and not self.user.mobile:
            self.add_error("by_sms", _("Add your mobile number in Personal data first."))
        return data


@login_required
@require_http_methods(["GET", "POST"])
def reply_settings(request: HttpRequest) -> HttpResponse:
    """How the user is told that a reply came: email (default) and/or an SMS to their mobile."""
    current = ReplyPreferences.objects.filter(user=request.user).first() or ReplyPreferences(user=request.user)
    form = ReplySettingsForm(request.POST or None, instance=current, user=request.user)
    if request.method == "POST" and form.is_valid():
        reply_preferences_save(
            user=request.user, by_email=form.cleaned_data["by_email"], by_sms=form.cleaned_data["by_sms"]
        )
        messages.success(request, _("Saved."))
        return redirect("reply_settings")
    return render(request, "messaging/reply_settings.html", {"form": form}, status=400 if form.errors else 200)
