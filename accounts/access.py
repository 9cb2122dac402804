"""Fetch an object *and* check the user may touch it, in one step.

Every view that takes an object id goes through one of these, so that no view can
forget the check: another user's object, or a group's object for a non-member, is
a 404 (not a 403, which would confirm that the id exists).
"""

from django.shortcuts import get_object_or_404

from .models import MANAGING_ROLES, AddressBook, Contact, ContactList, Invitation, ListMember, Membership, User
from .selectors import address_books_visible, contact_lists_visible, contacts_visible, list_members_reachable


def access_address_book(user: User, book_id: int) -> AddressBook:
    return get_object_or_404(address_books_visible(user=user), pk=book_id)


def access_contact(user: User, contact_id: int) -> Contact:
    return get_object_or_404(contacts_visible(user=user).select_related("book__group"), pk=contact_id)


def access_contact_list(user: User, list_id: int) -> ContactList:
    return get_object_or_404(contact_lists_visible(user=user), pk=list_id)


def access_list_member(user: User, list_id: int, member_id: int) -> ListMember:
    contact_list = access_contact_list(user, list_id)
    # A member the user can no longer see is not theirs to name (the removal message
    # would show the contact's current name): 404 like any unknown id.
    return get_object_or_404(list_members_reachable(user=user, contact_list=contact_list), pk=member_id)


def access_managed_membership(user: User, membership_id: int) -> Membership:
    """A membership of the organisation `user` owns or administers; anything else (another
    organisation's, or `user` a plain member) is a 404."""
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"),
        pk=membership_id,
        organisation__memberships__user=user,
        organisation__memberships__role__in=MANAGING_ROLES,
    )


def access_managed_invitation(user: User, invitation_id: int) -> Invitation:
    """An invitation of the organisation `user` owns or administers; otherwise a 404."""
    return get_object_or_404(
        Invitation.objects.select_related("organisation"),
        pk=invitation_id,
        organisation__memberships__user=user,
        organisation__memberships__role__in=MANAGING_ROLES,
    )
