"""Read-only pieces for the admin console.

Rows whose fields are derived or kept consistent by a service (balances, claims,
schedules, normalised numbers) are shown, never edited, in the admin: a change there
would bypass the service. One place says what read-only means.
"""

from django.contrib import admin


class ReadOnlyAdmin:
    """Mix into a ModelAdmin: list, filter and open rows; no add, change or delete."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Related rows shown on their parent's page; the pages' services edit them."""

    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
