"""Reads for replies and the opt-out list: the Replies page, the message page, the API, planning."""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from accounts.models import User
from accounts.selectors import contacts_visible

from .models import IncomingSMS, OptOut


def opted_out(*, gateway: str, numbers: Iterable[str]) -> set[str]:
    """The numbers among `numbers` that asked (or were put by hand) not to get SMS from `gateway`."""
    wanted = {n for n in numbers if n}
    if not wanted:
        return set()
    return set(OptOut.objects.filter(gateway=gateway, number__in=wanted).values_list("number", flat=True))


def replies_of(user: User) -> QuerySet[IncomingSMS]:
    """The user's replies, newest first (what the API lists)."""
    return IncomingSMS.objects.filter(user=user, kind=IncomingSMS.Kind.REPLY).select_related("recipient__contact")


def unread_count(user: User) -> int:
    return IncomingSMS.objects.filter(user=user, kind=IncomingSMS.Kind.REPLY, read_at__isnull=True).count()


@dataclass(frozen=True)
class Conversation:
    number: str
    name: str  # the contact's name when the number is in the user's books, else ""
    last_at: object
    last_text: str
    unread: int
    count: int


def conversations(user: User) -> QuerySet:
    """One row a number that replied to the user: its last reply, count and unread count, newest first."""
    return (
        replies_of(user)
        .values("from_number")
        .annotate(last_at=Max("received_at"), count=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True)))
        .order_by("-last_at", "from_number")
    )


def contact_names(user: User, numbers: Iterable[str]) -> dict[str, str]:
    """Number -> the name of a contact of the user's books with that number (the first one, by name)."""
    names: dict[str, str] = {}
    rows = (
        contacts_visible(user=user)
        .filter(phones__e164__in=list(numbers))
        .order_by("name")
        .values_list("phones__e164", "name")
    )
    for number, name in rows:
        names.setdefault(number, name)
    return names


def conversation_replies(user: User, number: str) -> QuerySet[IncomingSMS]:
    return replies_of(user).filter(from_number=number)


# Characters that must not act when a reply is shown: C0/C1 controls (but the line break)
# and the bidirectional overrides that can make a text read backwards.
_BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def text_shown(text: str) -> str:
    """A reply's text safe to show: each control character as a visible symbol (U+2400 pictures)."""

    def visible(char: str) -> str:
        if char == "\n":
            return char
        if ord(char) < 0x20:
            return chr(0x2400 + ord(char))
        if ord(char) == 0x7F:
            return "\u2421"
        if char in _BIDI or unicodedata.category(char) == "Cc":
            return "\ufffd"
        return char

    return "".join(visible(char) for char in text)
