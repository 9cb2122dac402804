"""Reads for the delivery page and the Sent SMS history."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User

from .models import Message, Recipient, RecipientStatus

PAID = {RecipientStatus.ACCEPTED, RecipientStatus.DELIVERED, RecipientStatus.UNDELIVERED, RecipientStatus.EXPIRED}
GIVEN_BACK = {RecipientStatus.FAILED, RecipientStatus.CANCELED}
IN_FLIGHT = {RecipientStatus.QUEUED, RecipientStatus.SUBMITTING}


@dataclass(frozen=True)
class Progress:
    total: int
    by_state: dict[str, int]
    parts: int

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
        return self.parts * sum(self.by_state.get(s, 0) for s in PAID)

    @property
    def released(self) -> int:
        return self.parts * sum(self.by_state.get(s, 0) for s in GIVEN_BACK)

    @property
    def held(self) -> int:
        """Still set aside: recipients not yet answered, and `unknown` ones awaiting review."""
        return self.parts * self.total - self.captured - self.released


def message_progress(*, message: Message) -> Progress:
    """Counts per state in one grouped query (the (message, status) index), whatever the size."""
    rows = message.recipients.order_by().values("status").annotate(n=Count("id"))
    by_state = {row["status"]: row["n"] for row in rows}
    return Progress(total=sum(by_state.values()), by_state=by_state, parts=message.segments)


def messages_search(
    *, user: User, query: str = "", state: str = "", since: dt.date | None = None, until: dt.date | None = None
) -> QuerySet[Message]:
    """The user's messages, newest first, each with its recipient count and delivered count."""
    found = Message.objects.filter(user=user)
    if query:
        recipients = Recipient.objects.filter(message=OuterRef("pk"))
        matches = Q(body__icontains=query) | Exists(recipients.filter(contact__name__icontains=query))
        digits = re.sub(r"\D", "", query).lstrip("0")
        if len(digits) >= 3:
            matches |= Exists(recipients.filter(to__contains=digits))
        found = found.filter(matches)
    if state:
        found = found.filter(Exists(Recipient.objects.filter(message=OuterRef("pk"), status=state)))
    zone = timezone.get_current_timezone()
    if since:
        found = found.filter(created_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until:
        found = found.filter(created_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
    return found.annotate(
        recipient_count=_count(Recipient.objects.filter(message=OuterRef("pk"))),
        delivered_count=_count(Recipient.objects.filter(message=OuterRef("pk"), status__in=PAID)),
    ).order_by("-created_at", "-id")


def _count(recipients: QuerySet) -> Coalesce:
    """A correlated COUNT: evaluated for the rows of the page only, not for the whole history."""
    counted = recipients.order_by().values("message").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
