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
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phones import PhoneNumberError, parse_number

from ..gateways import get_gateway
from ..models import IncomingSMS, Message, Recipient, RecipientStatus
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
    incoming = IncomingSMS(
        gateway=gateway,
        provider_id=provider_id or f"manual-{uuid.uuid4().hex}",
        from_number=from_number,
        to_number=to_number[:32],
        text=text,
        received_at=now,
        kind=keyword_of(text),
    )
    if incoming.kind == IncomingSMS.Kind.REPLY:
        created = _insert_reply(incoming, now)
    else:
        created = _insert_keyword(incoming, now)
    if not created:
        # A replay: the provider sent the same SMS again. The first one stands.
        return Received(IncomingSMS.objects.get(gateway=gateway, provider_id=incoming.provider_id), created=False)
    if incoming.kind == IncomingSMS.Kind.REPLY and incoming.user_id is None:
        logger.info("incoming SMS %s from %s matches no sent SMS: admin inbox", incoming.pk, from_number)
    # The user is told by the sweep (notify.replies_notify_due): nothing is published here.
    return Received(incoming, created=True)


def _insert_keyword(incoming: IncomingSMS, now: dt.datetime) -> bool:
    """A STOP or START: stored and applied to the opt-out list in one transaction."""
    try:
        with transaction.atomic():
            incoming.save(force_insert=True)
            optout.optout_from_keyword(incoming=incoming, now=now)
    except IntegrityError:
        return False
    return True


def _insert_reply(incoming: IncomingSMS, now: dt.datetime) -> bool:
    """A reply, stored with its owner (the sender of the SMS it answers); False for a replay.

    On PostgreSQL it is one statement: the match (reply_match's query) and the INSERT ...
    ON CONFLICT DO NOTHING, so a webhook costs one round trip and a replay raises nothing.
    """
    if connection.vendor != "postgresql":
        recipient = reply_match(gateway=incoming.gateway, number=incoming.from_number, now=now)
        incoming.recipient, incoming.user_id = recipient, recipient.message.user_id if recipient else None
        try:
            with transaction.atomic():
                incoming.save(force_insert=True)
        except IntegrityError:
            return False
        return True
    since = now - dt.timedelta(days=settings.SMS_REPLY_WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH match AS (
                SELECT r.id, m.user_id FROM {Recipient._meta.db_table} r
                JOIN {Message._meta.db_table} m ON m.id = r.message_id
                WHERE r."to" = %(number)s AND r.status = ANY(%(sent)s) AND m.gateway = %(gateway)s
                  AND r.sender = ''
                  AND r.claimed_at >= %(since)s AND r.claimed_at <= %(now)s
                ORDER BY r.claimed_at DESC, r.id DESC
                LIMIT 1
            )
            INSERT INTO {IncomingSMS._meta.db_table}
                (gateway, provider_id, from_number, to_number, text, received_at, kind, user_id, recipient_id)
            SELECT %(gateway)s, %(provider_id)s, %(number)s, %(to_number)s, %(text)s, %(now)s, %(kind)s,
                   (SELECT user_id FROM match), (SELECT id FROM match)
            ON CONFLICT ON CONSTRAINT incoming_sms_once DO NOTHING
            RETURNING id, user_id, recipient_id
            """,  # noqa: S608 - the table names are ours, every value is a parameter
            {
                "number": incoming.from_number,
                "sent": [str(status) for status in SENT],
                "gateway": incoming.gateway,
                "since": since,
                "now": now,
                "provider_id": incoming.provider_id,
                "to_number": incoming.to_number,
                "text": incoming.text,
                "kind": incoming.kind,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return False
    incoming.pk, incoming.user_id, incoming.recipient_id = row
    return True


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
    """(The rule _insert_reply's SQL applies on PostgreSQL: keep them alike.)

    The last SMS handed over to `number` through `gateway` within SMS_REPLY_WINDOW days, or None.

    "Handed over" is the recipient's claim (outbox.claim sets `claimed_at` just before the
    gateway is called): a scheduled SMS counts from when it went out, not when it was
    written. An SMS sent under a sender ID ("ACME") cannot have been answered: only those
    sent from the number count. The index (to, -claimed_at) makes this one short index walk."""
    since = now - dt.timedelta(days=settings.SMS_REPLY_WINDOW)
    return (
        Recipient.objects.filter(to=number, status__in=SENT, claimed_at__gte=since, claimed_at__lte=now)
        .filter(message__gateway=gateway, sender="")
        .select_related("message")
        .order_by("-claimed_at", "-id")
        .first()
    )


def reply_assign(*, incoming: IncomingSMS, user: User) -> IncomingSMS:
    """An administrator gives a reply (one nobody matched) to a user; it becomes unread for them,
    and they are told as for any reply."""
    IncomingSMS.objects.filter(pk=incoming.pk).update(user=user, read_at=None, notified_at=None)
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
