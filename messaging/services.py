"""Sending SMS: the one pipeline every sender uses (composer, API, reminders, alerts).

    message_send()          validate, dedupe, count, hold credit, write rows  [one transaction]
      -> on commit: dispatch_chunk task per chunk of recipient ids
    recipients_dispatch()   claim (SKIP LOCKED) and commit, send_many, record results
                            with the credit capture/release                  [one transaction]
    status_updates_apply()  delivery reports, forward only
    messaging_sweep()       beat: start due scheduled sends, re-enqueue due or lost rows,
                            turn stale claims into `unknown`

At most once to the gateway: a row is claimed (status `submitting`) in a committed
transaction before the gateway is called, and only a `queued` row can be claimed.
A worker that dies after claiming leaves the row `submitting`; the sweep turns it
`unknown` (credit stays held) and it is never resent automatically.
"""

import datetime as dt
import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Contact, User
from accounts.phones import PhoneNumberError, format_international, parse_number
from accounts.selectors import contact_lists_visible, contacts_visible, list_members_reachable
from core.db import bulk_update
from core.metrics import metrics_sms_results
from credits.models import Hold
from credits.services import (
    InsufficientCredit,
    account_for,
    account_lock,
    credits_hold,
    credits_hold_many,
    credits_release_all,
    credits_settle,
    credits_settle_many,
)

from . import segments
from .gateways import get_gateway
from .gateways.base import GatewayPermanentError, GatewayTransientError, Outcome, OutgoingSMS, SendResult, StatusUpdate
from .limits import SMS_PER_DAY, daily_limit, daily_limit_problems, daily_used
from .models import RANK, Message, MessageStatus, Recipient, RecipientStatus, SendingLimits
from .outbox import claim_rows, take_unenqueued

logger = logging.getLogger("smsoffice.sms")
ALLOWED_CONTROL = {"\n", "\r"}


@dataclass(frozen=True)
class Problem:
    """One rejected input: which field, what was given, and why."""

    field: str  # to, contacts, lists, body, send_at
    value: str
    reason: str


class SendRefused(ValueError):
    """The send was refused as a whole; nothing was written or held."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.value}: {p.reason}" if p.value else p.reason for p in problems))


@dataclass(frozen=True)
class PlannedRecipient:
    to: str  # E.164
    contact_id: int | None = None
    name: str = ""


@dataclass
class SendPlan:
    """What a send would be: used by message_send and by the composer's preview."""

    text: str
    info: segments.SegmentInfo
    recipients: list[PlannedRecipient] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def credits(self) -> int:
        return self.info.segments * len(self.recipients)


def message_plan(
    *,
    user: User,
    body: str,
    to: Sequence[str] = (),
    contact_ids: Sequence[int] = (),
    list_ids: Sequence[int] = (),
    with_signature: bool = True,
) -> SendPlan:
    """Check every input and work out recipients, text, parts and credits; writes nothing."""
    text = compose_text(body=body, user=user, with_signature=with_signature)
    plan = SendPlan(text=text, info=segments.count(text[: _max_characters() + 1]))
    plan.problems += _body_problems(body, text, plan.info)
    limits = _limits_for(user)
    found: dict[str, PlannedRecipient] = {}

    def add(raw: str, field_name: str, contact: Contact | None = None, label: str = "") -> None:
        try:
            parsed = parse_number(raw, default_region=user.default_country or None, require_mobile=True)
        except PhoneNumberError as error:
            plan.problems.append(Problem(field_name, (label or raw)[:60], str(error)))
            return
        if limits.countries and parsed.region not in limits.countries:
            plan.problems.append(
                Problem(
                    field_name,
                    (label or raw)[:60],
                    _("%(number)s: SMS to this country are not allowed here.") % {"number": parsed.international},
                )
            )
            return
        plan.warnings += [w for w in parsed.warnings if w not in plan.warnings]
        # The same number from several inputs is one recipient, named after a contact if any names it.
        if parsed.e164 not in found or (contact and found[parsed.e164].contact_id is None):
            found[parsed.e164] = PlannedRecipient(
                parsed.e164, contact.pk if contact else None, contact.name if contact else ""
            )

    for raw in to:
        add(str(raw), "to")
    contacts = objects_visible_by_id(
        contacts_visible(user=user).prefetch_related("phones"), contact_ids, "contacts", plan.problems
    )
    for contact in contacts:
        _add_contact(contact, add, plan)
    lists = objects_visible_by_id(contact_lists_visible(user=user), list_ids, "lists", plan.problems)
    for contact_list in lists:
        members = list_members_reachable(user=user, contact_list=contact_list)
        for member in members.select_related("contact").prefetch_related("contact__phones"):
            if member.contact_id:
                _add_contact(member.contact, add, plan, list_name=contact_list.name)
            elif member.phone:
                add(member.phone, "lists", label=f"{contact_list.name}: {format_international(member.phone)}")
    plan.recipients = list(found.values())
    if not plan.recipients and not plan.problems:
        plan.problems.append(Problem("to", "", _("Add at least one recipient.")))
    if len(plan.recipients) > limits.max_recipients:
        plan.problems.append(
            Problem(
                "to",
                "",
                _("%(count)s recipients: at most %(max)s in one send.")
                % {"count": len(plan.recipients), "max": limits.max_recipients},
            )
        )
    return plan


def message_send(
    *,
    user: User,
    body: str,
    to: Sequence[str] = (),
    contact_ids: Sequence[int] = (),
    list_ids: Sequence[int] = (),
    with_signature: bool = True,
    send_at: dt.datetime | None = None,
    idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> Message:
    """Accept a send: hold its credit and write it, all or nothing; dispatch after commit.

    Raises SendRefused (each problem named, the daily limit included) or
    credits.services.InsufficientCredit (needed, available); in both cases nothing is
    written and nothing held. With an
    `idempotency_key` already used by this user, returns that message and sends nothing.
    """
    now = now or timezone.now()
    if idempotency_key:
        existing = Message.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    plan = message_plan(
        user=user, body=body, to=to, contact_ids=contact_ids, list_ids=list_ids, with_signature=with_signature
    )
    plan.problems += _send_at_problems(send_at, now)
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
            status=MessageStatus.SENDING if immediate else MessageStatus.SCHEDULED,
            send_at=send_at,
            idempotency_key=idempotency_key[:64],
        )
        credits_hold(account=account, amount=plan.credits, reference=message.hold_reference)
        ids = _insert_recipients(message, plan.recipients, now if immediate else None)
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
    rows: list[tuple[int, str, int | None]] = []
    for user_id, items in by_user.items():
        rows += _send_batch_for_user(users[user_id], items, results, now)
    if rows:
        ids = _insert_recipient_rows(rows, now)
        transaction.on_commit(lambda: enqueue_dispatch(ids))
    return results


def _send_batch_for_user(
    user: User, items: list[BatchSend], results: dict[str, Message | str], now: dt.datetime
) -> list[tuple[int, str, int | None]]:
    limits = _limits_for(user)
    accepted: list[tuple[BatchSend, str, segments.SegmentInfo, str]] = []
    numbers: dict[str, str] = {}
    for item in items:
        text = compose_text(body=item.body, user=user, with_signature=False)
        info = segments.count(text[: _max_characters() + 1])
        problems = _body_problems(item.body, text, info)
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
    holds = credits_hold_many(account=account, requests=[(m.hold_reference, m.credits_held) for m in messages], now=now)
    refused = [m.pk for m in messages if isinstance(holds[m.hold_reference], InsufficientCredit)]
    Message.objects.filter(pk__in=refused).delete()  # never visible: the transaction is not committed
    rows = []
    for message, (item, _text, _info, to) in zip(messages, accepted, strict=True):
        outcome = holds[message.hold_reference]
        if isinstance(outcome, InsufficientCredit):
            results[item.key] = _("no credit left (%(needed)s needed, %(available)s available)") % {
                "needed": outcome.needed,
                "available": outcome.available,
            }
        else:
            results[item.key] = message
            rows.append((message.pk, to, None))
    return rows


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


def enqueue_dispatch(recipient_ids: Sequence[int]) -> None:
    """Hand chunks of ids to the workers. A broker failure loses nothing: the sweep retries."""
    from .tasks import dispatch_chunk

    size = settings.SMS_CHUNK_SIZE
    try:
        for start in range(0, len(recipient_ids), size):
            dispatch_chunk.delay(list(recipient_ids[start : start + size]))
    except Exception:  # the broker is down: the outbox sweep re-enqueues these rows
        logger.warning("could not enqueue %s recipients; the outbox sweep will", len(recipient_ids), exc_info=True)


def message_fan_out(*, message_id: int) -> int:
    """Enqueue the chunks of a large send (run by a worker, so the request publishes one task)."""
    ids = list(
        Recipient.objects.filter(message_id=message_id, status=RecipientStatus.QUEUED)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    enqueue_dispatch(ids)
    return len(ids)


def recipients_dispatch(*, recipient_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Claim the still-queued rows among `recipient_ids`, send them, record the results.

    Returns how many were claimed. Safe to run twice for the same ids: a row is
    claimed by one worker only.
    """
    now = now or timezone.now()
    queued = Recipient.objects.filter(pk__in=recipient_ids, status=RecipientStatus.QUEUED)
    claim, ids = claim_rows(queued, status=RecipientStatus.SUBMITTING, now=now)
    # Committed: from here on these rows are never sent again automatically.
    if not ids:
        return 0
    rows = list(Recipient.objects.filter(claim=claim).select_related("message"))
    by_gateway: dict[str, list[Recipient]] = defaultdict(list)
    for row in rows:
        by_gateway[row.message.gateway].append(row)
    for alias, group in by_gateway.items():
        results = _send(alias, group)
        _record_results(claim, group, results, timezone.now())
        counts = Counter(result.outcome.value for result in results)
        logger.info(
            "gateway %s answered for %s SMS of message(s) %s: %s",
            alias,
            len(group),
            ",".join(str(m) for m in sorted({row.message_id for row in group})),
            ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items())),
        )
    return len(rows)


def status_updates_apply(*, updates: Iterable[StatusUpdate]) -> int:
    """Apply delivery reports, forward only: a repeated or late report changes nothing.

    A report about an `unknown` recipient tells us the SMS centre had accepted it:
    its credit is captured then. Returns how many recipients changed.
    """
    changed = 0
    for update in updates:
        with transaction.atomic():
            recipient = (
                Recipient.objects.select_for_update()
                .select_related("message")
                .filter(provider_id=update.provider_id)
                .first()
            )
            if recipient is None or RANK[update.status] <= RANK[recipient.status]:
                continue
            if recipient.status in (RecipientStatus.SUBMITTING, RecipientStatus.UNKNOWN):
                hold = Hold.objects.get(reference=recipient.message.hold_reference)
                credits_settle(
                    hold=hold,
                    capture=recipient.message.segments,
                    release=0,
                    reference=f"{recipient.credit_reference}:reconciled",
                )
            recipient.status = update.status
            if update.code or update.reason:
                recipient.error_code, recipient.error_reason = update.code[:32], update.reason[:300]
            recipient.save(update_fields=["status", "error_code", "error_reason", "updated_at"])
            changed += 1
    return changed


def messaging_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """What beat runs every few seconds; each step is idempotent and safe to overlap."""
    now = now or timezone.now()
    return {
        "started": _start_due_scheduled(now),
        "unknown": _expire_stale_claims(now),
        "enqueued": _enqueue_due(now),
    }


def compose_text(*, body: str, user: User, with_signature: bool) -> str:
    """The text that is sent and counted: the body, then the signature on its own line."""
    body = body.strip()
    signature = user.signature.strip() if with_signature else ""
    return f"{body}\n{signature}" if signature and body else body


# Internals --------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Checked at planning time; the daily limits are in limits.py, checked under the account lock."""

    max_recipients: int
    countries: frozenset[str]


def _limits_for(user: User) -> Limits:
    own = SendingLimits.objects.filter(user=user).first()
    countries = own.allowed_countries if own and own.allowed_countries else ",".join(settings.SMS_ALLOWED_COUNTRIES)
    return Limits(
        max_recipients=(
            own.max_recipients_per_send
            if own and own.max_recipients_per_send is not None
            else settings.SMS_MAX_RECIPIENTS
        ),
        countries=frozenset(c.strip().upper() for c in countries.split(",") if c.strip()),
    )


def _max_characters() -> int:
    return settings.SMS_MAX_PARTS * segments.GSM_PART


def _body_problems(body: str, text: str, info: segments.SegmentInfo) -> list[Problem]:
    if not body.strip():
        return [Problem("body", "", _("Write a message."))]
    bad = sorted({c for c in body if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL})
    if bad:
        names = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
        return [
            Problem("body", "", _("The text contains control characters (%(names)s): remove them.") % {"names": names})
        ]
    if len(text) > _max_characters() or info.segments > settings.SMS_MAX_PARTS:
        parts = info.segments if len(text) <= _max_characters() else len(segments.split(text[:200_000]))
        return [
            Problem(
                "body",
                "",
                _("The text takes %(parts)s parts; at most %(max)s are allowed.")
                % {"parts": parts, "max": settings.SMS_MAX_PARTS},
            )
        ]
    return []


def _send_at_problems(send_at: dt.datetime | None, now: dt.datetime) -> list[Problem]:
    if send_at is None:
        return []
    if timezone.is_naive(send_at):
        return [Problem("send_at", str(send_at), _("Give the time with its time zone."))]
    if send_at <= now:
        return [Problem("send_at", send_at.isoformat(), _("The send time is in the past."))]
    if send_at > now + dt.timedelta(days=366):
        return [Problem("send_at", send_at.isoformat(), _("The send time is more than a year away."))]
    return []


def objects_visible_by_id(queryset, ids: Sequence[int], field_name: str, problems: list[Problem]) -> list:
    """The objects among `ids` the user may use, in the order given; an unknown or foreign id is a problem.

    `field_name` is "contacts" or "lists": it names the kind in the problem.
    """
    wanted = list(dict.fromkeys(ids))
    found = {obj.pk: obj for obj in queryset.filter(pk__in=wanted)} if wanted else {}
    for missing in [i for i in wanted if i not in found]:
        problems.append(
            Problem(
                field_name,
                str(missing),
                _("No such %(kind)s.") % {"kind": _("contact") if field_name == "contacts" else _("List")},
            )
        )
    return [found[i] for i in wanted if i in found]


def _add_contact(contact: Contact, add, plan: SendPlan, list_name: str = "") -> None:
    usable = [phone for phone in contact.phones.all() if phone.sms_refusal is None]
    if usable:
        add(usable[0].e164, "lists" if list_name else "contacts", contact=contact)
        return
    where = f"{list_name}: {contact.name}" if list_name else contact.name
    plan.problems.append(Problem("lists" if list_name else "contacts", where, _("has no mobile number.")))


def _send(alias: str, rows: list[Recipient]) -> list[SendResult]:
    outgoing = [OutgoingSMS(recipient_id=row.pk, to=row.to, text=row.message.text) for row in rows]
    try:
        results = get_gateway(alias).send_many(outgoing)
    except GatewayTransientError as error:
        return [SendResult(Outcome.RETRY, code="gateway", reason=str(error)[:300])] * len(rows)
    except GatewayPermanentError as error:
        return [SendResult(Outcome.FAILED, code="gateway", reason=str(error)[:300])] * len(rows)
    if len(results) != len(rows):
        # A gateway bug: we cannot tell which SMS went out. Never guess: review them.
        logger.error("gateway %s answered %s results for %s SMS", alias, len(results), len(rows))
        return [SendResult(Outcome.UNKNOWN, reason="the gateway's answer did not match the chunk")] * len(rows)
    return results


def _record_results(claim: str, rows: list[Recipient], results: list[SendResult], now: dt.datetime) -> None:
    """Write each result and settle the credit, per message, in one transaction."""
    max_attempts = settings.SMS_MAX_ATTEMPTS
    with transaction.atomic():
        current = {
            r.pk: r
            for r in Recipient.objects.select_for_update().filter(
                claim=claim, status__in=[RecipientStatus.SUBMITTING, RecipientStatus.UNKNOWN]
            )
        }
        settle: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # message id -> [capture, release]
        outcomes: dict[str, Counter] = defaultdict(Counter)  # gateway -> outcome -> count, for /metrics
        changed = []
        for row, result in zip(rows, results, strict=True):
            recipient = current.get(row.pk)
            if recipient is None:
                continue
            parts = row.message.segments
            outcomes[row.message.gateway][result.outcome.value] += 1
            recipient.error_code, recipient.error_reason = result.code[:32], result.reason[:300]
            if result.outcome == Outcome.ACCEPTED:
                recipient.status, recipient.provider_id = RecipientStatus.ACCEPTED, result.provider_id[:64]
                settle[row.message_id][0] += parts
            elif result.outcome == Outcome.RETRY and recipient.attempts < max_attempts:
                recipient.status, recipient.claim, recipient.enqueued_at = RecipientStatus.QUEUED, "", None
                recipient.next_attempt_at = now + _backoff(recipient.attempts)
            elif result.outcome == Outcome.UNKNOWN:
                recipient.status = RecipientStatus.UNKNOWN  # its credit stays held until reviewed
            else:
                recipient.status = RecipientStatus.FAILED
                settle[row.message_id][1] += parts
            changed.append(recipient)
        _save_results(changed)
        for gateway, counts in outcomes.items():
            metrics_sms_results(gateway=gateway, outcomes=counts)
        holds = {h.reference: h for h in Hold.objects.filter(reference__in=[f"message:{m}" for m in settle])}
        credits_settle_many(
            settlements=[
                (holds[f"message:{message_id}"], capture, release, f"dispatch:{claim}:{message_id}")
                for message_id, (capture, release) in settle.items()
            ]
        )


def _enqueue_send(message_id: int, ids: list[int]) -> None:
    """After commit: a small send goes straight to a worker; a large one is split by a worker."""
    if len(ids) <= settings.SMS_CHUNK_SIZE:
        enqueue_dispatch(ids)
        return
    from .tasks import fan_out

    try:
        fan_out.delay(message_id)
    except Exception:  # the broker is down: the outbox sweep re-enqueues these rows
        logger.warning("could not enqueue message %s; the outbox sweep will", message_id, exc_info=True)


def _insert_recipients(message: Message, planned: list[PlannedRecipient], due: dt.datetime | None) -> list[int]:
    return _insert_recipient_rows([(message.pk, p.to, p.contact_id) for p in planned], due)


def _insert_recipient_rows(rows: list[tuple[int, str, int | None]], due: dt.datetime | None) -> list[int]:
    """Insert queued recipients (message id, E.164, contact id) and return their ids, in order.

    On PostgreSQL one INSERT ... SELECT FROM unnest() takes the whole list: for
    10,000 recipients it is several times faster than bulk_create, which prepares
    every field of every row in Python. Elsewhere (SQLite, for `make run`), bulk_create.
    """
    if connection.vendor != "postgresql":
        created = Recipient.objects.bulk_create(
            Recipient(message_id=m, to=to, contact_id=c, next_attempt_at=due, enqueued_at=due) for m, to, c in rows
        )
        return [row.pk for row in created]
    table = Recipient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (message_id, "to", contact_id, status, next_attempt_at, enqueued_at, attempts,
                                 claim, provider_id, error_code, error_reason, updated_at)
            SELECT t.message_id, t.phone, t.contact_id, %s, %s, %s, 0, '', '', '', '', now()
            FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[])
                 WITH ORDINALITY AS t(message_id, phone, contact_id, position)
            ORDER BY t.position
            RETURNING id
            """,  # noqa: S608 - the table name is ours, every value is a parameter
            [RecipientStatus.QUEUED, due, due, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
        )
        return [row[0] for row in cursor.fetchall()]


RESULT_FIELDS = [
    "status",
    "provider_id",
    "error_code",
    "error_reason",
    "claim",
    "enqueued_at",
    "next_attempt_at",
    "updated_at",
]


def _save_results(recipients: list[Recipient]) -> None:
    """Write the result fields of a chunk's rows in one statement."""
    now = timezone.now()
    for recipient in recipients:
        recipient.updated_at = now  # bulk updates skip auto_now
    bulk_update(recipients, RESULT_FIELDS)


def _backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 15 min."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 900))


def _start_due_scheduled(now: dt.datetime) -> int:
    started = 0
    with transaction.atomic():
        due = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.SCHEDULED, send_at__lte=now)
            .values_list("pk", flat=True)[:500]
        )
        if due:
            Message.objects.filter(pk__in=due).update(status=MessageStatus.SENDING)
            started = Recipient.objects.filter(message_id__in=due, status=RecipientStatus.QUEUED).update(
                next_attempt_at=now
            )
    return started


def _expire_stale_claims(now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(seconds=settings.SMS_CLAIM_TIMEOUT)
    return Recipient.objects.filter(status=RecipientStatus.SUBMITTING, claimed_at__lt=cutoff).update(
        status=RecipientStatus.UNKNOWN,
        error_reason=_("The worker stopped while sending: check with the provider before sending again."),
    )


def _enqueue_due(now: dt.datetime) -> int:
    """Due rows with no recent task: retries whose time came, and rows whose task was lost."""
    with transaction.atomic():
        rows = take_unenqueued(
            Recipient.objects.filter(status=RecipientStatus.QUEUED), now=now, fields=("pk", "message_id")
        )
    by_message: dict[int, list[int]] = defaultdict(list)
    for pk, message_id in rows:
        by_message[message_id].append(pk)
    for ids in by_message.values():
        transaction.on_commit(lambda ids=ids: enqueue_dispatch(ids))
    return len(rows)
