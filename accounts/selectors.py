"""Reads: what a user may see, and contact search."""

import re

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from . import phones
from .models import (
    MANAGING_ROLES,
    AddressBook,
    Contact,
    ContactList,
    GroupAdministrator,
    Invitation,
    InvitationStatus,
    ListMember,
    Membership,
    User,
)

# A query with this many digits is also looked up as a phone number.
MIN_NUMBER_DIGITS = 3


def visible_scope(user: User) -> Q:
    """Objects owned by the user or by one of the user's groups."""
    return Q(owner=user) | Q(group__in=user.groups.all())


def is_group_administrator(*, user: User, group: Group) -> bool:
    """Superusers administer every group; others through a GroupAdministrator row, or as an
    owner or admin of the organisation whose group it is (its shared book and Lists)."""
    return (
        user.is_superuser
        or GroupAdministrator.objects.filter(group=group, user=user).exists()
        or Membership.objects.filter(organisation__group=group, user=user, role__in=MANAGING_ROLES).exists()
    )


def membership_of(*, user: User) -> Membership | None:
    """The user's membership (one organisation at most), with its organisation."""
    return Membership.objects.filter(user=user).select_related("organisation").first()


def organisation_members(*, organisation_id: int) -> list[Membership]:
    return list(Membership.objects.filter(organisation_id=organisation_id).select_related("user"))


def pending_invitations(*, organisation_id: int) -> list[Invitation]:
    return list(Invitation.objects.filter(organisation_id=organisation_id, status=InvitationStatus.PENDING))


def address_books_visible(*, user: User) -> QuerySet[AddressBook]:
    return AddressBook.objects.filter(visible_scope(user)).select_related("group")


def contact_lists_visible(*, user: User) -> QuerySet[ContactList]:
    return ContactList.objects.filter(visible_scope(user)).select_related("group")


def contacts_visible(*, user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(book__in=address_books_visible(user=user))


def list_members_reachable(*, user: User, contact_list: ContactList) -> QuerySet[ListMember]:
    """The members of `contact_list` that `user` may see and send to, decided now.

    A contact member counts only while it is in a book the user sees today: access is
    checked when the List is read or sent, not when the contact was added, so a user
    who left the group (or whose contact moved into someone's private book) reaches
    it by no path. Free numbers and addresses are the List's own and always count.
    Every path that expands a List (its page, the composer's counter, SMS send, the
    API, the Messages tool) reads its members here.
    """
    return contact_list.members.filter(Q(contact__isnull=True) | Q(contact__book__in=address_books_visible(user=user)))


def contact_mobile(contact: Contact) -> tuple[str, str]:
    """The contact's first number that can take SMS (E.164) and "", or "" and why none can.

    The one rule for "can this contact get an SMS": the SMS composer, the API and the
    Messages tool all ask here (with the contact's phones prefetched). Why not is the
    first number's refusal ("a fixed-line number, not a mobile"), or "no mobile number".
    """
    numbers = list(contact.phones.all())
    refusals = [(phone, phone.sms_refusal) for phone in numbers]
    usable = [phone.e164 for phone, refusal in refusals if refusal is None]
    if usable:
        return usable[0], ""
    return "", refusals[0][1] if refusals else _("no mobile number")


def list_member_mobile(member: ListMember) -> tuple[str, str]:
    """A List member's number for SMS and "", or "" and why it cannot take one (contact_mobile's rule).

    A free number is judged like a contact's number typed as "mobile": a landline stays in
    the List (its email or fax may serve the Messages tool) but every SMS send skips it.
    """
    if member.contact_id:
        return contact_mobile(member.contact)
    if not member.phone:
        return "", _("no mobile number")
    refusal = phones.sms_refusal(e164=member.phone, labelled_mobile=True, label="")
    return ("", refusal) if refusal else (member.phone, "")


def list_members_unreachable_count(*, user: User, contact_list: ContactList) -> int:
    """How many of the List's contacts `user` can no longer see (the List page says so)."""
    visible = address_books_visible(user=user)
    return contact_list.members.filter(contact__isnull=False).exclude(contact__book__in=visible).count()


def contacts_search(*, user: User, query: str = "", book: AddressBook | None = None) -> QuerySet[Contact]:
    """Contacts the user can see whose name, organisation, number or email contains `query`.

    A number matches however it was typed: "0475 12 34", "+32 475 12" and
    "0032475" all find +32 475 12 34 56 (digits are compared without leading zeros,
    which stand for "00" or a trunk prefix). Matching runs on Contact.search_text,
    one lower-cased column that contact_save keeps, so a search scans one table.
    """
    contacts = contacts_visible(user=user) if book is None else Contact.objects.filter(book=book)
    query = query.strip()
    if query:
        matches = Q(search_text__contains=query.lower())
        digits = re.sub(r"\D", "", query).lstrip("0")
        if len(digits) >= MIN_NUMBER_DIGITS and re.fullmatch(r"[\d\s+().\-/]+", query):
            matches |= Q(search_text__contains=digits)
        contacts = contacts.filter(matches)
    return contacts.select_related("book__group").prefetch_related("phones", "emails")
