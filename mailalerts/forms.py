"""Mail alerts forms: they check the shape of the input; services check the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AddressTest, Match, QuietMode, Security

# The port each security choice usually speaks on: the form's script fills it in.
USUAL_PORTS = {Security.TLS: 993, Security.STARTTLS: 143, Security.PLAIN: 143}


class SecuritySelect(forms.Select):
    """Each option carries its usual port (data-usual-port) for mailalerts/mailbox_form.js."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in USUAL_PORTS:
            option["attrs"]["data-usual-port"] = str(USUAL_PORTS[value])
        return option


class MailboxForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("For you, e.g. “Work”."))
    host = forms.CharField(label=_("IMAP server"), max_length=253, help_text=_("e.g. imap.example.com"))
    security = forms.ChoiceField(
        label=_("Security"), choices=Security.choices, initial=Security.TLS, widget=SecuritySelect
    )
    port = forms.IntegerField(
        label=_("Port"),
        min_value=1,
        max_value=65535,
        initial=993,
        help_text=_("993 for TLS, 143 for STARTTLS, unless your provider says otherwise."),
    )
    username = forms.CharField(label=_("User name"), max_length=254, help_text=_("Often your email address."))
    password = forms.CharField(
        label=_("Password"),
        max_length=1000,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Or an app password if your provider asks for one. It is stored encrypted and never shown."),
    )
    folder = forms.CharField(label=_("Folder"), max_length=200, initial="INBOX")
    notify_all = forms.BooleanField(
        label=_("SMS when a new email arrives (any email; filters can alert as well)"), required=False, initial=True
    )
    name_in_sms = forms.BooleanField(
        label=_("Start the SMS with the mailbox name (“[Work] Mail from …”)"), required=False, initial=False
    )
    active = forms.BooleanField(label=_("Watch this mailbox"), required=False, initial=True)


class MailFilterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    match = forms.ChoiceField(label=_("Alert when the mail meets"), choices=Match.choices, initial=Match.ALL)
    # Left empty (a criterion not used): "contains", as the service would take.
    sender_test = forms.TypedChoiceField(
        label=_("Sender"), choices=AddressTest.choices, required=False, empty_value=AddressTest.CONTAINS
    )
    sender = forms.CharField(label=_("Sender value"), max_length=254, required=False)
    recipient_test = forms.TypedChoiceField(
        label=_("Recipient"), choices=AddressTest.choices, required=False, empty_value=AddressTest.CONTAINS
    )
    recipient = forms.CharField(label=_("Recipient value"), max_length=254, required=False)
    subject = forms.CharField(label=_("Subject contains"), max_length=200, required=False)
    has_attachment = forms.BooleanField(label=_("Has an attachment"), required=False)
    size_over_kb = forms.IntegerField(label=_("Size over (KB)"), min_value=0, max_value=1_000_000, required=False)
    important = forms.BooleanField(label=_("Marked important"), required=False)
    notify_to = forms.CharField(
        label=_("Send the SMS to"),
        max_length=40,
        required=False,
        help_text=_("A mobile number; empty: your own mobile."),
    )
    stop = forms.BooleanField(label=_("Stop after this filter"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class AlertSettingsForm(forms.Form):
    quiet_start = forms.TimeField(label=_("Quiet hours from"), required=False, widget=forms.TimeInput(format="%H:%M"))
    quiet_end = forms.TimeField(label=_("until"), required=False, widget=forms.TimeInput(format="%H:%M"))
    quiet_mode = forms.ChoiceField(label=_("Mail arriving in quiet hours"), choices=QuietMode.choices)
    max_per_hour = forms.IntegerField(label=_("At most alert SMS per hour"), min_value=1, max_value=1000)
    max_per_day = forms.IntegerField(label=_("At most alert SMS per day"), min_value=1, max_value=10_000)
