"""The administrators' console: users, groups and memberships, address books, contacts, Lists.

Admin saves go through the services where a service does more than save the row
(a new user gets their private address book).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    AddressBook,
    Contact,
    ContactEmail,
    ContactList,
    ContactPhone,
    GroupAdministrator,
    ListMember,
    SharedDataMove,
    User,
)
from .services import address_books_ensure


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


class ReadOnlyInline(admin.TabularInline):
    """Numbers are normalised by the contact services: the admin shows them, users edit them."""

    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
    inlines = [ContactPhoneInline, ContactEmailInline]


class ListMemberInline(admin.TabularInline):
    model = ListMember
    raw_id_fields = ("contact",)
    extra = 0


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "group", "created_by")
    search_fields = ("name", "owner__username", "group__name")
    raw_id_fields = ("owner",)
    inlines = [ListMemberInline]


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
