"""The administrators' console: users, groups and memberships, address books, contacts, Lists.

Admin saves go through the same services as the pages wherever a service does more
than save the row: a new user gets their private address book, a renamed contact is
found by its new name (search_text), a List member typed as a number is stored in E.164.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyInline

from . import phones
from .models import (
    AddressBook,
    Contact,
    ContactEmail,
    ContactList,
    ContactPhone,
    GroupAdministrator,
    ListMember,
    Membership,
    Organisation,
    SharedDataMove,
    User,
)
from .services import (
    ListMemberError,
    OrganisationError,
    PhoneEntry,
    address_books_ensure,
    contact_save,
    list_member_add_address,
    list_member_add_contact,
    list_member_remove,
    membership_add,
    membership_limit_set,
    membership_remove,
    membership_update,
    organisation_create,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal data"),
            {"fields": ("full_name", "email", "mobile", "time_zone", "language", "default_country", "sms_signature")},
        ),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "email", "password1", "password2")}),
    )
    list_display = ("username", "full_name", "email", "mobile", "is_staff", "is_active")
    search_fields = ("username", "full_name", "email", "mobile")

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Group memberships are saved here: make sure every book the user may now see exists.
        address_books_ensure(user=form.instance)


@admin.register(AddressBook)
class AddressBookAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "group")
    list_filter = ("group",)
    search_fields = ("name", "owner__username", "group__name")
    raw_id_fields = ("owner",)


class ContactPhoneInline(ReadOnlyInline):
    model = ContactPhone
    fields = ("label", "raw", "e164")


class ContactEmailInline(ReadOnlyInline):
    model = ContactEmail


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "book", "created_by")
    list_select_related = ("book",)
    search_fields = ("name", "organisation", "emails__address", "phones__e164")
    raw_id_fields = ("book",)
    # Numbers are normalised by the contact services: the admin shows them, users edit them.
    inlines = [ContactPhoneInline, ContactEmailInline]

    def get_readonly_fields(self, request, obj=None):
        # Moving a contact between books is its owner's (or a group administrator's) act on
        # the pages, where the service checks and records it.
        return ("book",) if obj else ()

    def save_model(self, request, obj: Contact, form, change: bool) -> None:
        # Through the service, which keeps search_text (what contact search matches) in step.
        contact_save(
            actor=request.user,
            contact=obj if change else None,
            book=obj.book,
            name=obj.name,
            organisation=obj.organisation,
            notes=obj.notes,
            emails=list(obj.emails.values_list("address", flat=True)) if change else [],
            phone_entries=[PhoneEntry(label=phone.label, raw=phone.raw, e164=phone.e164) for phone in obj.phones.all()]
            if change
            else [],
        )


class ListMemberForm(forms.ModelForm):
    """A member added in the admin: a contact, or a number (read as the List owner's pages
    would read it, stored in E.164), or an email address."""

    class Meta:
        model = ListMember
        fields = ("contact", "phone", "email")

    def clean(self) -> dict:
        data = super().clean()
        given = [name for name in ("contact", "phone", "email") if data.get(name)]
        if len(given) != 1:
            raise ValidationError(_("Give one of: a contact, a number or an email address."))
        if data.get("phone"):
            owner = self.instance.contact_list.owner if self.instance.contact_list_id else None
            region = (owner.default_country if owner else "") or None
            try:
                data["phone"] = phones.parse_number(data["phone"], default_region=region).e164
            except phones.PhoneNumberError as error:
                self.add_error("phone", str(error))
        return data


class ListMemberInline(admin.TabularInline):
    model = ListMember
    form = ListMemberForm
    raw_id_fields = ("contact",)
    extra = 0

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a member is added or removed, not edited: the services keep it normalised


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "group", "created_by")
    search_fields = ("name", "owner__username", "group__name")
    raw_id_fields = ("owner",)
    inlines = [ListMemberInline]

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not ListMember:
            return super().save_formset(request, form, formset, change)
        added = formset.save(commit=False)
        for member in formset.deleted_objects:
            list_member_remove(member=member)
        for member in added:
            try:
                if member.contact_id:
                    list_member_add_contact(contact_list=form.instance, contact=member.contact)
                else:
                    list_member_add_address(
                        contact_list=form.instance, entry=member.phone or member.email, default_region=None
                    )
            except ListMemberError as error:
                self.message_user(request, str(error), level="error")
        return None


@admin.register(GroupAdministrator)
class GroupAdministratorAdmin(admin.ModelAdmin):
    """Who may move a group's contacts and Lists out of it (besides their creators and superusers)."""

    list_display = ("group", "user")
    list_filter = ("group",)
    search_fields = ("group__name", "user__username", "user__full_name")
    raw_id_fields = ("user",)


@admin.register(SharedDataMove)
class SharedDataMoveAdmin(admin.ModelAdmin):
    """The trail of shared contacts and Lists moved out of a group: read only."""

    list_display = ("at", "kind", "object_name", "from_group_name", "destination", "actor_name")
    list_filter = ("kind", "from_group_name")
    search_fields = ("object_name", "actor_name", "from_group_name", "destination")
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OrganisationAddForm(forms.ModelForm):
    owner = forms.ModelChoiceField(queryset=User.objects.filter(membership__isnull=True), label=_("owner"))

    class Meta:
        model = Organisation
        fields = ["name"]

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors:
            # The service decides (one organisation a user, a free name); its refusal is the form's error.
            try:
                self.instance = organisation_create(name=data["name"], owner=data["owner"])
            except OrganisationError as error:
                raise ValidationError(str(error)) from error
        return data


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Operators create organisations here (or with `manage.py organisation_create`);
    owners and admins manage them on their pages."""

    list_display = ("name", "created_at")
    search_fields = ("name",)
    readonly_fields = ("name", "group", "time_zone", "created_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OrganisationAddForm
            kwargs["fields"] = ["name", "owner"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:
        pass  # created by OrganisationAddForm.clean through organisation_create; nothing else is editable

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["organisation", "user", "role", "monthly_limit"]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            # One transaction: a refused limit leaves no new member behind.
            with transaction.atomic():
                if self.instance.pk is None:
                    membership = membership_add(organisation=data["organisation"], user=data["user"], role=data["role"])
                    self.instance = membership_limit_set(
                        organisation=membership.organisation, user=membership.user, limit=data["monthly_limit"]
                    )
                else:
                    self.instance = membership_update(
                        membership=self.instance, role=data["role"], limit=data["monthly_limit"]
                    )
        except OrganisationError as error:
            raise ValidationError(str(error)) from error
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "organisation", "role", "monthly_limit")
    list_filter = ("organisation", "role")
    search_fields = ("user__username", "user__full_name", "organisation__name")
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        return ("organisation", "user") if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:
        pass  # written by MembershipForm.clean through the membership services

    def delete_model(self, request, obj) -> None:
        membership_remove(membership=obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None  # one at a time, through membership_remove (the last owner stays)
