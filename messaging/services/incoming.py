"""Incoming SMS: stored once, STOP and START obeyed, replies routed to whoever wrote.

incoming_receive()      check and store one incoming SMS (the Twilio webhook and
                        `manage.py sms_receive` both call it); a provider id seen
                        before is the same SMS: stored once      [one transaction]
  -> STOP / START       the opt-out list changes (optout.py), one free confirmation
                        queued in the confirmations outbox
  -> a reply            matched to the last SMS sent to that number through the same
                        gateway within SMS_REPLY_WINDOW days: it belongs to that SMS's
                        user (no match: the administrators' inbox)
reply_assign()          an administrator gives an unmatched reply to a user
replies_mark_read()     the user has seen them
"""

import datetime as dt
import logging
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phones import PhoneNumberError, parse_number

from ..gateways import get_gateway
from ..models import IncomingSMS, Recipient, RecipientStatus
from . import optout

logger = logging.getLogger("smsoffice.sms")

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
# Around the one word: spaces and punctuation ("Stop!", " STOP. ") do not make it a sentence.
_AROUND = re.compile(r"^[\W_]+|[\W_]+$")
# An SMS that was handed to the SMS centre: something a person may answer.
SENT = [
    RecipientStatus.SUBMITTING,
    RecipientStatus.ACCEPTED,
    RecipientStatus.DELIVERED,
    RecipientStatus.UNDELIVERED,
    RecipientStatus.EXPIRED,
    RecipientStatus.UNKNOWN,
]


class IncomingRefused(ValueError):
    """The incoming SMS was refused as a whole (the reason says what is wrong); nothing stored."""


@dataclass(frozen=True)
class Received:
    incoming: IncomingSMS
    created: bool  # False: a replay of an SMS already stored


def keyword_of(text: str) -> str:
    """IncomingSMS.Kind of a text: STOP or START only when that word is the whole text."""
    word = _AROUND.sub("", text.strip()).upper()
    if word in STOP_WORDS:
        return IncomingSMS.Kind.STOP
    if word in START_WORDS:
        return IncomingSMS.Kind.START
    return IncomingSMS.Kind.REPLY


def incoming_receive(
    *,
    gateway: str,
    from_number: str,
    text: str,
    to_number: str = "",
    provider_id: str = "",
    now: dt.datetime | None = None,
) -> Received:
    """Check and store one incoming SMS, then act on it (opt-out list or routing), in one transaction.

    Raises IncomingRefused (unknown gateway, a sender number that is not E.164, an empty
    or oversized text); nothing is stored then. Without `provider_id` (typed by hand) one
    is made up. The same (gateway, provider id) twice is stored once: the second call
    returns the first SMS with `created` False and changes nothing.
    """
    now = now or timezone.now()
    _check(gateway=gateway, from_number=from_number, text=text, provider_id=provider_id)
    provider_id = provider_id or f"manual-{uuid.uuid4().hex}"
    existing = IncomingSMS.objects.filter(gateway=gateway, provider_id=provider_id).first()
    if existing is not None:
        return Received(existing, created=False)
    try:
        with transaction.atomic():
            incoming = IncomingSMS.objects.create(
                gateway=gateway,
                provider_id=provider_id,
                from_number=from_number,
                to_number=to_number[:32],
                text=text,
                received_at=now,
                kind=keyword_of(text),
            )
            if incoming.kind == IncomingSMS.Kind.REPLY:
                _route(incoming, now)
            else:
                optout.optout_from_keyword(incoming=incoming, now=now)
    except IntegrityError:
        # The same provider id, stored by a concurrent request (the provider retried at once).
        return Received(IncomingSMS.objects.get(gateway=gateway, provider_id=provider_id), created=False)
    if incoming.user_id:
        from ..tasks import notify_reply

        transaction.on_commit(lambda: _enqueue_notification(notify_reply, incoming.pk))
    return Received(incoming, created=True)


def _check(*, gateway: str, from_number: str, text: str, provider_id: str) -> None:
    try:
        get_gateway(gateway)
    except ImproperlyConfigured:
        raise IncomingRefused(_("There is no SMS gateway named %(alias)s.") % {"alias": gateway[:50]}) from None
    try:
        parsed = parse_number(from_number)
    except PhoneNumberError as error:
        raise IncomingRefused(_("The sender's number is not usable: %(reason)s") % {"reason": error}) from None
    if parsed.e164 != from_number:
        raise IncomingRefused(_("The sender's number must be in E.164 form (%(example)s).") % {"example": parsed.e164})
    if not text.strip():
        raise IncomingRefused(_("The SMS has no text."))
    if len(text) > settings.SMS_INCOMING_MAX_CHARS:
        raise IncomingRefused(
            _("The SMS has %(count)s characters: at most %(max)s are taken.")
            % {"count": len(text), "max": settings.SMS_INCOMING_MAX_CHARS}
        )
    if len(provider_id) > 64:
        raise IncomingRefused(_("The provider's message id is longer than 64 characters."))


def reply_match(*, gateway: str, number: str, now: dt.datetime) -> Recipient | None:
    """The last SMS sent to `number` through `gateway` within SMS_REPLY_WINDOW days, or None."""
    since = now - dt.timedelta(days=settings.SMS_REPLY_WINDOW)
    # A scheduled message went out at its send_at, not when it was written.
    sent_at = Coalesce("message__send_at", "message__created_at")
    return (
        Recipient.objects.filter(to=number, message__gateway=gateway, status__in=SENT)
        .annotate(sent_at=sent_at)
        .filter(sent_at__gte=since, sent_at__lte=now)
        .select_related("message")
        .order_by("-sent_at", "-id")
        .first()
    )


def _route(incoming: IncomingSMS, now: dt.datetime) -> None:
    recipient = reply_match(gateway=incoming.gateway, number=incoming.from_number, now=now)
    if recipient is None:
        logger.info("incoming SMS %s from %s matches no sent SMS: admin inbox", incoming.pk, incoming.from_number)
        return
    incoming.recipient, incoming.user_id = recipient, recipient.message.user_id
    incoming.save(update_fields=["recipient", "user"])


def reply_assign(*, incoming: IncomingSMS, user: User) -> IncomingSMS:
    """An administrator gives a reply (one nobody matched) to a user; it becomes unread for them."""
    IncomingSMS.objects.filter(pk=incoming.pk).update(user=user, read_at=None)
    incoming.refresh_from_db()
    return incoming


def replies_mark_read(*, user: User, ids: list[int] | None = None, number: str = "", now: dt.datetime) -> int:
    """Mark the user's unread replies read: these ids, or all from `number`. Returns how many changed."""
    replies = IncomingSMS.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        replies = replies.filter(pk__in=ids)
    if number:
        replies = replies.filter(from_number=number)
    return replies.update(read_at=now)


def _enqueue_notification(task, incoming_id: int) -> None:
    try:
        task.delay(incoming_id)
    except Exception:  # the broker is down: the reply is stored and shown; only the email is lost
        logger.warning("could not enqueue the notification of reply %s", incoming_id, exc_info=True)
