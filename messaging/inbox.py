"""Reads for replies and the opt-out list: the Replies page, the message page, the API, planning."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from accounts.selectors import contacts_visible

from .display import text_shown
from .models import IncomingSMS, OptOut, Recipient, RecipientStatus


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


def conversations(user: User) -> QuerySet:
    """One row a number that replied to the user: its last reply, count and unread count, newest first."""
    newest = replies_of(user).filter(from_number=OuterRef("from_number")).order_by("-received_at", "-id")
    return (
        replies_of(user)
        .values("from_number")
        .annotate(
            last_at=Max("received_at"),
            count=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
            last_id=Subquery(newest.values("id")[:1]),
            last_text=Subquery(newest.values("text")[:1]),
        )
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


@dataclass(frozen=True)
class ThreadEntry:
    """One SMS of a conversation: sent by the user (`incoming` False) or received from the number."""

    at: object
    incoming: bool
    text: str
    message_id: int | None
    state: str  # the recipient's state label, for what was sent


# A conversation page shows this many of each side: older ones stay on their message pages.
THREAD_DEPTH = 500


def conversation_thread(user: User, number: str) -> list[ThreadEntry]:
    """What the user sent to `number` and what it answered, newest first."""
    sent = (
        Recipient.objects.filter(message__user=user, to=number)
        .exclude(status=RecipientStatus.SKIPPED)
        .select_related("message")
        .order_by("-id")[:THREAD_DEPTH]
    )
    entries = [
        ThreadEntry(
            r.message.send_at or r.message.created_at, False, r.message.text, r.message_id, r.get_status_display()
        )
        for r in sent
    ]
    entries += [
        ThreadEntry(reply.received_at, True, text_shown(reply.text), getattr(reply.recipient, "message_id", None), "")
        for reply in conversation_replies(user, number).select_related("recipient")[:THREAD_DEPTH]
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def replies_by_recipient(user: User, recipient_ids: Iterable[int]) -> dict[int, list[IncomingSMS]]:
    """The user's replies to these recipients of a message, oldest first (shown under each recipient)."""
    found: dict[int, list[IncomingSMS]] = {}
    for reply in replies_of(user).filter(recipient_id__in=list(recipient_ids)).order_by("received_at", "id"):
        reply.shown = text_shown(reply.text)
        found.setdefault(reply.recipient_id, []).append(reply)
    return found
