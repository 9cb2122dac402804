"""Forms check input and turn it into service arguments; they never write."""

import contextlib
import importlib.resources
import zoneinfo
from collections.abc import Iterator
from functools import cache

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import phones
from .client_address import client_address
from .models import AddressBook, ContactList, PhoneLabel, Role, User
from .password_reset import password_reset_allowed_from, password_reset_allowed_to
from .services import PhoneEntry, phone_entry


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Canonical zones only: the tz database's zone.tab (one or more per country) and UTC.

    zoneinfo.available_timezones() also lists the aliases kept for old systems (US/Eastern,
    Etc/GMT+1 whose sign is the reverse of what people expect, Asia/Calcutta for Asia/Kolkata).
    """
    names = {"UTC"}
    with contextlib.suppress(FileNotFoundError, ModuleNotFoundError):
        table = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
        names |= {line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")}
    if names == {"UTC"}:  # no tzdata package: the system's zones, without the obvious aliases
        names |= {zone for zone in zoneinfo.available_timezones() if "/" in zone and not zone.startswith(_ALIASES)}
    return [(name, name.replace("_", " ")) for name in sorted(names & zoneinfo.available_timezones() | {"UTC"})]


_ALIASES = ("US/", "Etc/", "Canada/", "Brazil/", "Chile/", "Mexico/", "SystemV/")


class PersonalDataForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("Email"), max_length=254, required=False, help_text=_("Where a forgotten password is sent.")
    )
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=40,
        required=False,
        help_text=_("For reminders and alerts. International format, e.g. +32 475 12 34 56."),
    )
    default_country = forms.ChoiceField(
        label=_("Default country"),
        required=False,
        help_text=_("Numbers typed without a country code (0475 12 34 56) are read as numbers of this country."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    sms_signature = forms.CharField(
        label=_("SMS signature"),
        max_length=60,
        required=False,
        help_text=_("Added at the end of your SMS. Leave empty to sign with your name."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        no_country = ("", _("None: always type the country code"))
        self.fields["default_country"].choices = [no_country, *phones.country_choices()]
        zones = time_zone_choices()
        current = self.initial.get("time_zone")
        if current and current not in dict(zones):  # an alias chosen before: keep it valid
            zones = [(current, current.replace("_", " ")), *zones]
        self.fields["time_zone"].choices = zones
        self.parsed_mobile: phones.ParsedNumber | None = None

    @classmethod
    def for_user(cls, user: User, data=None) -> "PersonalDataForm":
        initial = {
            "full_name": user.full_name,
            "email": user.email,
            "mobile": user.mobile_display,
            "default_country": user.default_country,
            "time_zone": user.time_zone,
            "language": user.language,
            "sms_signature": user.sms_signature,
        }
        return cls(data=data, initial=initial)

    def clean(self) -> dict:
        cleaned = super().clean()
        typed = cleaned.get("mobile", "")
        # The mobile number is read with the default country chosen in this same
        # form, so it is checked here, once both fields are known.
        if typed and "default_country" in cleaned:
            try:
                self.parsed_mobile = phones.parse_number(
                    typed, default_region=cleaned["default_country"] or None, require_mobile=True
                )
            except phones.PhoneNumberError as error:
                self.add_error("mobile", str(error))
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "full_name": data["full_name"].strip(),
            "email": data["email"],
            "mobile": self.parsed_mobile.e164 if self.parsed_mobile else "",
            "time_zone": data["time_zone"],
            "language": data["language"],
            "default_country": data["default_country"],
            "sms_signature": data["sms_signature"].strip(),
        }


class LimitedPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending only within the limits of accounts/password_reset.py.

    The view answers the same "check your email" page whatever happens here."""

    def save(self, *args, request: HttpRequest | None = None, **kwargs) -> None:
        address = client_address(request) if request is not None else ""
        if password_reset_allowed_from(address=address):
            super().save(*args, request=request, **kwargs)  # not an ORM write: it sends the email

    def get_users(self, email: str) -> Iterator[User]:
        return (user for user in super().get_users(email) if password_reset_allowed_to(user=user))


class ContactForm(forms.Form):
    book = forms.ModelChoiceField(label=_("Address book"), queryset=AddressBook.objects.none(), empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, books, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["book"].queryset = books


class PhoneForm(forms.Form):
    label = forms.ChoiceField(label=_("Type"), choices=PhoneLabel.choices, initial=PhoneLabel.MOBILE)
    number = forms.CharField(label=_("Number"), max_length=40, required=False)

    def __init__(self, *args, default_region: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.default_region = default_region
        self.entry: PhoneEntry | None = None

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("number", "").strip() and "label" in cleaned:
            try:
                self.entry = phone_entry(
                    raw=cleaned["number"],
                    label=cleaned["label"],
                    default_region=self.default_region,
                    keep_unreadable=False,
                )
            except phones.PhoneNumberError as error:
                self.add_error("number", str(error))
        return cleaned


class EmailForm(forms.Form):
    address = forms.EmailField(label=_("Email"), max_length=254, required=False)


class BaseEntryFormSet(forms.BaseFormSet):
    """A list of sub-forms whose blank rows are ignored."""

    def __init__(self, *args, default_region: str | None = None, **kwargs) -> None:
        self.default_region = default_region
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if self.form is PhoneForm:
            kwargs["default_region"] = self.default_region
        return kwargs


PhoneFormSet = forms.formset_factory(PhoneForm, formset=BaseEntryFormSet, extra=2, max_num=20, validate_max=True)
EmailFormSet = forms.formset_factory(EmailForm, formset=BaseEntryFormSet, extra=1, max_num=20, validate_max=True)


def phone_entries(formset: BaseEntryFormSet) -> list[PhoneEntry]:
    return [form.entry for form in formset.forms if form.entry is not None]


def email_addresses(formset: BaseEntryFormSet) -> list[str]:
    return [form.cleaned_data["address"] for form in formset.forms if form.cleaned_data.get("address")]


class ContactSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


class ContactImportForm(forms.Form):
    book = forms.ModelChoiceField(label=_("Into address book"), queryset=AddressBook.objects.none(), empty_label=None)
    file = forms.FileField(label=_("vCard (.vcf) or CSV file"))

    def __init__(self, *args, books, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["book"].queryset = books

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CONTACT_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s KB; the largest accepted is %(limit)s KB. Split it into smaller files.")
                % {"size": upload.size // 1024, "limit": limit // 1024}
            )
        return upload


class ContactListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    group = forms.ModelChoiceField(
        label=_("Shared with"),
        queryset=None,
        required=False,
        empty_label=_("Nobody (private)"),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = user.groups.order_by("name")

    @classmethod
    def for_list(cls, contact_list: ContactList, user: User, data=None) -> "ContactListForm":
        return cls(data=data, user=user, initial={"name": contact_list.name, "group": contact_list.group_id})


class ListEntryForm(forms.Form):
    entry = forms.CharField(
        label=_("Number or email address"),
        max_length=254,
        help_text=_("A phone number (+32 475 12 34 56) or an email address."),
    )


class InvitationForm(forms.Form):
    # A CharField: the service says what is wrong with an address, in one message for every path.
    email = forms.CharField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)


class MemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    # Bounds are the service's (0..CREDIT_MAX_GRANT): one message for the page, the admin and the command.
    monthly_limit = forms.IntegerField(
        label=_("Monthly limit (credits)"), required=False, help_text=_("Empty: no limit beyond the pool.")
    )


class SignUpForm(forms.Form):
    """A new account made from an invitation link: its email is the invitation's."""

    username = forms.CharField(label=_("User name"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This user name is taken: choose another, or log in."))
        return username
