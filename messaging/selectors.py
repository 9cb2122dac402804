"""Reads for the delivery page and the Sent SMS history.

A message's state (MessageState) is derived from its recipients by one SQL expression,
`with_state()`: the Sent SMS list, its state filter, the message page and the API's
message object all read it there, so they cannot disagree.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import (
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User

from .models import Message, MessageStatus, MessageTemplate, Recipient, RecipientStatus, SenderId

PAID = {RecipientStatus.ACCEPTED, RecipientStatus.DELIVERED, RecipientStatus.UNDELIVERED, RecipientStatus.EXPIRED}
GIVEN_BACK = {RecipientStatus.FAILED, RecipientStatus.CANCELED}
IN_FLIGHT = {RecipientStatus.QUEUED, RecipientStatus.SUBMITTING}
# Not delivered, for good: what makes a message "partly failed" or "failed".
LOST = {RecipientStatus.UNDELIVERED, RecipientStatus.EXPIRED, RecipientStatus.FAILED, RecipientStatus.CANCELED}
# Not finished for the message's state: `unknown` waits for review, so the message is not "sent" yet.
UNSETTLED = IN_FLIGHT | {RecipientStatus.UNKNOWN}
REPORTED = {RecipientStatus.DELIVERED, RecipientStatus.UNDELIVERED, RecipientStatus.EXPIRED}


class MessageState:
    """What a person is told about a whole message (the recipients' states summed up)."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"  # every recipient accepted by the SMS centre, delivery reports pending
    DELIVERED = "delivered"
    PARTLY_FAILED = "partly_failed"
    FAILED = "failed"
    CANCELED = "canceled"

    choices = [
        (SCHEDULED, _("scheduled")),
        (SENDING, _("sending")),
        (SENT, _("sent")),
        (DELIVERED, _("delivered")),
        (PARTLY_FAILED, _("partly failed")),
        (FAILED, _("failed")),
        (CANCELED, _("canceled")),
    ]
    values = [key for key, _label in choices]
    labels = dict(choices)


def with_state(messages: QuerySet[Message]) -> QuerySet[Message]:
    """Annotate each message with `state` and the recipient counts its pages show.

    Each value is one correlated subquery on the (message, status) index, evaluated only
    for the rows of the page unless a filter on `state` needs it. They are written as SQL
    because the ORM's version (a Subquery per count, repeated inside a CASE) cost ~10 ms
    of CPU a page to build and compile and ran 12 subqueries a row; this costs ~1 ms and
    runs five. They name the message table itself: annotate a queryset of Message, not one
    used as a subquery. `recipient_count` leaves skipped List members out: never sent.
    """
    return messages.annotate(
        recipient_count=_recipients_count(exclude=[RecipientStatus.SKIPPED]),
        delivered_count=_recipients_count(only=[RecipientStatus.DELIVERED]),
        lost_count=_recipients_count(only=sorted(LOST)),
        skipped_count=_recipients_count(only=[RecipientStatus.SKIPPED]),
        state=_state(),
    )


def _in(statuses) -> tuple[str, list[str]]:
    """`(%s, ...)` for an IN, and its parameters in a stable order."""
    values = [str(status) for status in sorted(statuses)]
    return "(" + ", ".join(["%s"] * len(values)) + ")", values


_MESSAGE = Message._meta.db_table
_RECIPIENTS_OF_ROW = f"FROM {Recipient._meta.db_table} r WHERE r.message_id = {_MESSAGE}.{Message._meta.pk.column}"


def _state() -> RawSQL:
    """The rule, in the order it is decided: canceled and scheduled come from the message;
    then any recipient still unsettled -> sending; all lost -> failed; some lost -> partly
    failed; all delivered -> delivered; otherwise every recipient was accepted -> sent."""
    unsettled, unsettled_values = _in(UNSETTLED)
    lost, lost_values = _in(LOST)
    sql = f"""(SELECT CASE
        WHEN {_MESSAGE}.status = %s THEN %s
        WHEN {_MESSAGE}.status = %s THEN %s
        WHEN COUNT(*) FILTER (WHERE r.status IN {unsettled}) > 0 THEN %s
        WHEN COUNT(*) FILTER (WHERE r.status IN {lost}) >= COUNT(*) FILTER (WHERE r.status <> %s) THEN %s
        WHEN COUNT(*) FILTER (WHERE r.status IN {lost}) > 0 THEN %s
        WHEN COUNT(*) FILTER (WHERE r.status = %s) >= COUNT(*) FILTER (WHERE r.status <> %s) THEN %s
        ELSE %s END {_RECIPIENTS_OF_ROW})"""
    values = [
        *(MessageStatus.CANCELED, MessageState.CANCELED, MessageStatus.SCHEDULED, MessageState.SCHEDULED),
        *unsettled_values,
        MessageState.SENDING,
        *lost_values,
        *(RecipientStatus.SKIPPED, MessageState.FAILED),
        *lost_values,
        MessageState.PARTLY_FAILED,
        *(RecipientStatus.DELIVERED, RecipientStatus.SKIPPED, MessageState.DELIVERED),
        MessageState.SENT,
    ]
    # Table and column names come from the models; every value is a parameter.
    return RawSQL(sql, [str(value) for value in values], output_field=CharField())  # noqa: S611


def _recipients_count(*, only=None, exclude=None) -> RawSQL:
    """A correlated COUNT of this row's recipients in (or not in) some states."""
    statuses, values = _in(only or exclude)
    condition = f"r.status {'IN' if only else 'NOT IN'} {statuses}"
    sql = f"(SELECT COUNT(*) {_RECIPIENTS_OF_ROW} AND {condition})"
    return RawSQL(sql, values, output_field=IntegerField())  # noqa: S611 - names from the models, values as parameters


def state_text(message: Message) -> str:
    """The state in words, with how many were not delivered when some were: "partly failed (3 of 50 not delivered)"."""
    label = str(MessageState.labels.get(message.state, message.state))
    if message.state in (MessageState.PARTLY_FAILED, MessageState.FAILED) and message.recipient_count > 1:
        detail = ngettext(
            "%(lost)s of %(total)s not delivered", "%(lost)s of %(total)s not delivered", message.recipient_count
        ) % {"lost": message.lost_count, "total": message.recipient_count}
        return f"{label} ({detail})"
    return label


def recipient_state_labels(*, message: Message) -> dict[str, str]:
    """Each recipient state's label on this message's page: a scheduled send's rows wait as "scheduled"."""
    labels = {key: str(label) for key, label in RecipientStatus.choices}
    if message.status == MessageStatus.SCHEDULED:
        labels[RecipientStatus.QUEUED] = str(MessageState.labels[MessageState.SCHEDULED])
    return labels


def message_with_state(*, message: Message) -> Message:
    """The message again, annotated by with_state() (the message page and the API)."""
    found = with_state(Message.objects.filter(pk=message.pk)).get()
    found.state_text = state_text(found)
    return found


@dataclass(frozen=True)
class Progress:
    total: int  # recipients sent to (skipped List members are not)
    by_state: dict[str, int]
    parts_by_state: dict[str, int]  # each recipient costs its own parts (placeholders)

    @property
    def accepted(self) -> int:
        """Handed to the SMS centre (and paid), whatever its delivery report said since."""
        return sum(self.by_state.get(s, 0) for s in PAID)

    @property
    def reported(self) -> int:
        """Delivery reports received: delivered, not delivered or expired."""
        return sum(self.by_state.get(s, 0) for s in REPORTED)

    @property
    def done(self) -> int:
        return self.total - sum(self.by_state.get(s, 0) for s in IN_FLIGHT)

    @property
    def finished(self) -> bool:
        return self.done == self.total

    @property
    def awaiting_reports(self) -> bool:
        """Accepted recipients whose delivery report may still come."""
        return bool(self.by_state.get(RecipientStatus.ACCEPTED))

    @property
    def captured(self) -> int:
        return sum(self.parts_by_state.get(s, 0) for s in PAID)

    @property
    def released(self) -> int:
        return sum(self.parts_by_state.get(s, 0) for s in GIVEN_BACK)

    @property
    def held(self) -> int:
        """Still set aside: recipients not yet answered, and `unknown` ones awaiting review."""
        sent_to = sum(parts for state, parts in self.parts_by_state.items() if state != RecipientStatus.SKIPPED)
        return sent_to - self.captured - self.released


def message_progress(*, message: Message) -> Progress:
    """Counts per state in one grouped query (the (message, status) index), whatever the size."""
    rows = list(message.recipients.order_by().values("status").annotate(n=Count("id"), parts=Sum("parts")))
    by_state = {row["status"]: row["n"] for row in rows}
    sent_to = sum(n for state, n in by_state.items() if state != RecipientStatus.SKIPPED)
    return Progress(total=sent_to, by_state=by_state, parts_by_state={row["status"]: row["parts"] or 0 for row in rows})


def messages_search(
    *, user: User, query: str = "", state: str = "", since: dt.date | None = None, until: dt.date | None = None
) -> QuerySet[Message]:
    """The user's messages, newest first, each with its state and recipient counts (with_state)."""
    found = Message.objects.filter(user=user)
    if query:
        recipients = Recipient.objects.filter(message=OuterRef("pk"))
        matches = Q(body__icontains=query) | Exists(recipients.filter(contact__name__icontains=query))
        digits = re.sub(r"\D", "", query).lstrip("0")
        if len(digits) >= 3:
            matches |= Exists(recipients.filter(to__contains=digits))
        found = found.filter(matches)
    zone = timezone.get_current_timezone()
    if since:
        found = found.filter(created_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until:
        found = found.filter(created_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
    found = with_state(found)
    if state:
        found = found.filter(state=state)
    return found.order_by("-created_at", "-id")


def messages_recent(*, user: User, limit: int = 5) -> list[Message]:
    """The user's last SMS with their state (home page)."""
    recent = list(with_state(Message.objects.filter(user=user)).order_by("-created_at", "-id")[:limit])
    for message in recent:
        message.state_text = state_text(message)
    return recent


def recipients_export(
    *, user: User, message: Message | None = None, since: dt.date | None = None, until: dt.date | None = None
) -> QuerySet[Recipient]:
    """The recipients of one message (checked by access_message before), or of all the user's
    SMS created between `since` and `until` (the user's days), in send order."""
    found = Recipient.objects.filter(message__user=user)
    if message is not None:
        found = found.filter(message=message)
    zone = timezone.get_current_timezone()
    if since:
        found = found.filter(message__created_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        found = found.filter(message__created_at__lt=end)
    return found.order_by("message_id", "id")


def message_templates_visible(*, user: User) -> QuerySet[MessageTemplate]:
    """The user's own templates and those shared with one of their groups, by name."""
    return MessageTemplate.objects.filter(Q(user=user) | Q(group__in=user.groups.all())).order_by("name", "id")


def sender_ids_of(*, user: User) -> QuerySet[SenderId]:
    """The sender IDs the user's organisation has (or, outside any, the user's own), any status."""
    from accounts.selectors import membership_of

    membership = membership_of(user=user)
    if membership is not None:
        return SenderId.objects.filter(organisation_id=membership.organisation_id)
    return SenderId.objects.filter(user=user)


def sender_ids_usable(*, user: User) -> list[str]:
    """The approved sender IDs the user may pick in the composer and the API, by name."""
    return list(sender_ids_of(user=user).filter(status=SenderId.Status.APPROVED).values_list("name", flat=True))
