"""Accepting a send: the plan written, credit held, the outbox filled.

message_send()          validate (planning), check the daily limit and hold credit under
                        the account lock, insert Message + Recipient rows  [one transaction]
  -> on commit: dispatching.enqueue_dispatch per chunk of recipient ids
message_send_batch()    many one-recipient sends (reminders, mail alerts), one lock a user
message_cancel()        a scheduled send withdrawn, its credit released
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phones import PhoneNumberError, parse_number
from credits.models import Hold
from credits.services import (
    InsufficientCredit,
    MemberLimitReached,
    account_for,
    account_lock,
    credits_hold,
    credits_hold_many,
    credits_release_all,
)

from .. import segments
from ..inbox import opted_out
from ..limits import SMS_PER_DAY, daily_limit, daily_limit_problems, daily_used
from ..models import Message, MessageStatus, Recipient, RecipientStatus
from .dispatching import RECIPIENTS, enqueue_dispatch
from .planning import (
    OPTED_OUT,
    CsvRow,
    Problem,
    SendPlan,
    SendRefused,
    SkippedRecipient,
    body_problems,
    compose_text,
    limits_for,
    max_characters,
    message_plan,
    send_at_problems,
)

logger = logging.getLogger("smsoffice.sms")


def message_send(
    *,
    user: User,
    body: str,
    to: Sequence[str] = (),
    contact_ids: Sequence[int] = (),
    list_ids: Sequence[int] = (),
    csv_rows: Sequence[CsvRow] = (),
    with_signature: bool = True,
    smart_encoding: bool = False,
    with_placeholders: bool = False,
    send_at: dt.datetime | None = None,
    idempotency_key: str = "",
    sender: str = "",
    now: dt.datetime | None = None,
) -> Message:
    """Accept a send: hold its credit and write it, all or nothing; dispatch after commit.

    Raises SendRefused (each problem named, the daily limit included) or
    credits.services.InsufficientCredit (needed, available); in both cases nothing is
    written and nothing held. With placeholders, each recipient gets its own text and the
    hold is the sum of their parts (one hold, as for any send). With an
    `idempotency_key` already used by this user, returns that message and sends nothing.
    `sender`: an approved sender ID (another's or an unapproved one is a SendRefused);
    recipients where names are refused get it from the number (planning.SendPlan.sender_of).
    """
    now = now or timezone.now()
    if idempotency_key:
        existing = Message.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    plan = message_plan(
        user=user,
        body=body,
        to=to,
        contact_ids=contact_ids,
        list_ids=list_ids,
        csv_rows=csv_rows,
        with_signature=with_signature,
        smart_encoding=smart_encoding,
        with_placeholders=with_placeholders,
        sender=sender,
    )
    plan.problems += send_at_problems(send_at, now)
    if plan.problems:
        raise SendRefused(plan.problems)
    try:
        return _message_write(user, plan, body, with_signature, send_at, idempotency_key, now)
    except IntegrityError:
        # A concurrent request with the same idempotency key won the insert: theirs is the send.
        if idempotency_key:
            return Message.objects.get(user=user, idempotency_key=idempotency_key)
        raise


def _message_write(
    user: User,
    plan: SendPlan,
    body: str,
    with_signature: bool,
    send_at: dt.datetime | None,
    idempotency_key: str,
    now: dt.datetime,
) -> Message:
    """The one transaction of a send: daily limit, message row, credit hold, recipient rows."""
    immediate = send_at is None
    account = account_for(user=user)
    with transaction.atomic():
        # The daily limit is checked under the lock the hold takes (messaging/limits.py):
        # a concurrent send of this user waits here until ours is committed, then counts it.
        account = account_lock(account=account)
        problems = daily_limit_problems(user=user, counts={SMS_PER_DAY: len(plan.recipients)}, now=now)
        if problems:
            raise SendRefused([Problem("to", "", reason) for reason in problems])
        message = Message.objects.create(
            user=user,
            body=body,
            text=plan.text,
            with_signature=with_signature,
            encoding=plan.info.encoding,
            segments=plan.info.segments,
            credits_held=plan.credits,
            gateway="default",
            sender=plan.sender,
            status=MessageStatus.SENDING if immediate else MessageStatus.SCHEDULED,
            send_at=send_at,
            idempotency_key=idempotency_key[:64],
        )
        # account_for: the organisation's pool for a member (their limit checked under this lock).
        credits_hold(account=account, amount=plan.credits, reference=message.hold_reference, member=user)
        ids = _insert_recipients(message, plan, now if immediate else None)
        _insert_skipped(message, plan.skipped)
        if immediate:
            transaction.on_commit(lambda: _enqueue_send(message.pk, ids))
    return message


@dataclass(frozen=True)
class BatchSend:
    """One single-recipient SMS of a batch; `key` is the caller's name for its result."""

    key: str
    user: User
    to: str
    body: str


def message_send_batch(*, sends: Sequence[BatchSend], now: dt.datetime | None = None) -> dict[str, Message | str]:
    """Accept many single-recipient SMS (no signature) in the caller's transaction.

    Each is checked like message_send (number, text, limits, credit) and gets its own
    Message and credit hold; one refused send does not stop the others: its result is
    the reason. Holds are taken per user under one account lock, rows are inserted in
    bulk, and dispatch is enqueued after commit. What the reminders tick uses.
    """
    now = now or timezone.now()
    results: dict[str, Message | str] = {}
    by_user: dict[int, list[BatchSend]] = defaultdict(list)
    users: dict[int, User] = {}
    for send in sends:
        by_user[send.user.pk].append(send)
        users[send.user.pk] = send.user
    rows: list[RecipientRow] = []
    for user_id, items in by_user.items():
        rows += _send_batch_for_user(users[user_id], items, results, now)
    if rows:
        ids = _insert_recipient_rows(rows, now)
        transaction.on_commit(lambda: enqueue_dispatch(ids))
    return results


def _send_batch_for_user(
    user: User, items: list[BatchSend], results: dict[str, Message | str], now: dt.datetime
) -> list["RecipientRow"]:
    limits = limits_for(user)
    accepted: list[tuple[BatchSend, str, segments.SegmentInfo, str]] = []
    numbers: dict[str, str] = {}
    for item in items:
        text = compose_text(body=item.body, user=user, with_signature=False)
        info = segments.count(text[: max_characters() + 1])
        problems = body_problems(item.body, text, info)
        if item.to not in numbers:
            try:
                parsed = parse_number(item.to, default_region=user.default_country or None, require_mobile=True)
                allowed = not limits.countries or parsed.region in limits.countries
                numbers[item.to] = parsed.e164 if allowed else ""
            except PhoneNumberError:
                numbers[item.to] = ""
        if not numbers[item.to]:
            problems.append(
                Problem("to", item.to[:60], _("%(number)s cannot receive SMS from here.") % {"number": item.to[:60]})
            )
        if problems:
            results[item.key] = problems[0].reason
        else:
            accepted.append((item, text, info, numbers[item.to]))
    accepted = _without_opted_out(accepted, results)
    # Under the account lock, as in message_send (messaging/limits.py); the caller's
    # transaction keeps it until these sends are written.
    account = account_lock(account=account_for(user=user))
    max_per_day = daily_limit(user=user, limit=SMS_PER_DAY)
    room = max_per_day - daily_used(user=user, limit=SMS_PER_DAY, now=now)
    for item, *_rest in accepted[max(room, 0) :]:
        results[item.key] = _("The limit of %(limit)s SMS in 24 hours is reached.") % {"limit": max_per_day}
    accepted = accepted[: max(room, 0)]
    if not accepted:
        return []
    messages = Message.objects.bulk_create(
        Message(
            user=user,
            body=item.body,
            text=text,
            with_signature=False,
            encoding=info.encoding,
            segments=info.segments,
            credits_held=info.segments,
            gateway="default",
            status=MessageStatus.SENDING,
        )
        for item, text, info, _to in accepted
    )
    holds = credits_hold_many(
        account=account, requests=[(m.hold_reference, m.credits_held) for m in messages], member=user, now=now
    )
    refused = [m.pk for m in messages if isinstance(holds[m.hold_reference], InsufficientCredit)]
    Message.objects.filter(pk__in=refused).delete()  # never visible: the transaction is not committed
    rows = []
    for message, (item, _text, _info, to) in zip(messages, accepted, strict=True):
        outcome = holds[message.hold_reference]
        if isinstance(outcome, MemberLimitReached):
            results[item.key] = str(outcome)  # the organisation's limit for this member, not the pool
        elif isinstance(outcome, InsufficientCredit):
            results[item.key] = _("no credit left (%(needed)s needed, %(available)s available)") % {
                "needed": outcome.needed,
                "available": outcome.available,
            }
        else:
            results[item.key] = message
            rows.append((message.pk, to, None, "", message.segments, ""))
    return rows


def _without_opted_out(accepted: list, results: dict[str, Message | str]) -> list:
    """A reminder or alert to a mobile on the opt-out list is refused with "opted out", no credit held."""
    stopped = opted_out(gateway="default", numbers=[to for *_rest, to in accepted])
    for item, *_rest, to in accepted:
        if to in stopped:
            results[item.key] = str(OPTED_OUT)
    return [entry for entry in accepted if entry[-1] not in stopped]


def message_cancel(*, message: Message, now: dt.datetime | None = None) -> Message:
    """Withdraw a scheduled send before it starts; its whole hold is released."""
    now = now or timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.status != MessageStatus.SCHEDULED:
            raise SendRefused(
                [Problem("send_at", "", _("Only a scheduled send that has not started can be canceled."))]
            )
        message.status = MessageStatus.CANCELED
        message.save(update_fields=["status"])
        message.recipients.filter(status=RecipientStatus.QUEUED).update(
            status=RecipientStatus.CANCELED, error_reason=_("canceled before sending")
        )
        credits_release_all(
            hold=Hold.objects.get(reference=message.hold_reference),
            reference=f"{message.hold_reference}:cancel",
            now=now,
        )
    return message


def _enqueue_send(message_id: int, ids: list[int]) -> None:
    """After commit: a small send goes straight to a worker; a large one is split by a worker."""
    if len(ids) <= RECIPIENTS.task_size():
        enqueue_dispatch(ids)
        return
    from ..tasks import fan_out

    try:
        fan_out.delay(message_id)
    except Exception:  # the broker is down: the outbox sweep re-enqueues these rows
        logger.warning("could not enqueue message %s; the outbox sweep will", message_id, exc_info=True)


# A queued recipient to insert: message id, E.164, contact id, its own text ("" = the message's),
# parts, its sender ID ("" = the number).
RecipientRow = tuple[int, str, int | None, str, int, str]


def _insert_recipients(message: Message, plan: SendPlan, due: dt.datetime | None) -> list[int]:
    return _insert_recipient_rows(
        [(message.pk, p.to, p.contact_id, p.text, plan.parts_of(p), plan.sender_of(p)) for p in plan.recipients],
        due,
    )


def _insert_skipped(message: Message, skipped: list[SkippedRecipient]) -> None:
    """The List members that cannot take SMS, kept with their reason so the message page and the
    API say who did not get it and why. Never queued: no worker claims them, no credit is held."""
    Recipient.objects.bulk_create(
        Recipient(
            message=message,
            to=s.to,
            contact_id=s.contact_id,
            status=RecipientStatus.SKIPPED,
            parts=0,
            error_reason=s.reason[:300],
        )
        for s in skipped
    )


def _insert_recipient_rows(rows: list[RecipientRow], due: dt.datetime | None) -> list[int]:
    """Insert queued recipients (RecipientRow) and return their ids, in order.

    On PostgreSQL one INSERT ... SELECT FROM unnest() takes the whole list: for
    10,000 recipients it is several times faster than bulk_create, which prepares
    every field of every row in Python. Elsewhere (SQLite, for `make run`), bulk_create.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = Recipient.objects.bulk_create(
            Recipient(
                message_id=m,
                to=to,
                contact_id=c,
                text=text,
                parts=parts,
                sender=sender,
                next_attempt_at=due,
                enqueued_at=due,
            )
            for m, to, c, text, parts, sender in rows
        )
        return [row.pk for row in created]
    table = Recipient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (message_id, "to", contact_id, text, parts, sender, status, next_attempt_at,
                                 enqueued_at, attempts, claim, provider_id, error_code, error_reason, updated_at)
            SELECT t.message_id, t.phone, t.contact_id, t.text, t.parts, t.sender, %s, %s, %s, 0, '', '', '', '',
                   now()
            FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[], %s::text[], %s::smallint[], %s::varchar[])
                 WITH ORDINALITY AS t(message_id, phone, contact_id, text, parts, sender, position)
            ORDER BY t.position
            RETURNING id
            """,  # noqa: S608 - the table name is ours, every value is a parameter
            [RecipientStatus.QUEUED, due, due, *(list(column) for column in zip(*rows, strict=True))],
        )
        return [row[0] for row in cursor.fetchall()]
