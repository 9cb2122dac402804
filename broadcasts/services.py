"""The Messages tool: one message to people on every ticked channel (email, SMS, fax).

    broadcast_plan()        who gets which copy, who is skipped and why, the SMS credit;
                            writes nothing (the page's summary is this plan)
    broadcast_send()        the plan written in one transaction: the SMS copy through
                            message_send (credit held there), a Delivery row per person
                            and channel; email and fax copies dispatched after commit
    deliveries_dispatch()   claim (SKIP LOCKED) and commit, send, record each result
    deliveries_sweep()      beat: re-enqueue due or lost copies, stale claims -> unknown

Email and fax copies are sent at most once, like SMS: a copy is claimed (`sending`)
in a committed transaction before it is handed over, only a `queued` copy can be
claimed, and a claim whose worker died becomes `unknown`, never resent blindly.
"""

import datetime as dt
import logging
import unicodedata
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Contact, ContactList, PhoneLabel, User
from accounts.phones import PhoneNumberError, format_international, parse_number
from accounts.selectors import (
    contact_lists_visible,
    contact_mobile,
    contacts_visible,
    list_member_mobile,
    list_members_reachable,
)
from core.db import bulk_update
from credits.services import account_for, account_lock
from messaging.gateways import get_gateway
from messaging.gateways.base import SendResult
from messaging.models import MessageTemplate, Recipient
from messaging.services import outbox, templates
from messaging.services.accepting import message_send
from messaging.services.planning import (
    Problem,
    SendPlan,
    SendRefused,
    limits_for,
    message_plan,
    objects_visible_by_id,
)

from .email import broadcast_email, relayed_name
from .fax.base import OutgoingFax
from .fax.pdf import FaxCover, fax_pdf
from .limits import broadcast_limits_problems
from .models import Broadcast, Channel, Delivery, DeliveryStatus

logger = logging.getLogger("smsoffice.messages")
SUBJECT_MAX = 200
DELIVERY_CHUNK = 20  # copies per dispatch task: a fax PDF takes 0.2 s (Latin) to 1 s (with a CJK font)
TEXT_CONTROL_ALLOWED = {"\n", "\r", "\t"}

COPIES = outbox.Outbox(
    name="Messages tool copy",
    model=Delivery,
    queued=DeliveryStatus.QUEUED,
    claimed=DeliveryStatus.SENDING,
    accepted=DeliveryStatus.SENT,
    failed=DeliveryStatus.FAILED,
    unknown=DeliveryStatus.UNKNOWN,
    task="broadcasts.tasks.dispatch_deliveries",
    chunk_size=lambda: DELIVERY_CHUNK,
    max_attempts=lambda row: settings.EMAIL_MAX_ATTEMPTS if row.channel == Channel.EMAIL else settings.FAX_MAX_ATTEMPTS,
    backoff_first=60,  # 1 min, 2 min, 4 min ... at most 30 min: mail servers' greylisting wants minutes
    backoff_cap=1800,
    lost_reason=gettext_lazy("The worker stopped while sending: check with the recipient before sending again."),
    result_fields=(),
)


@dataclass
class Draft:
    """What the Messages tool's form holds: the message, the channels and the recipients."""

    subject: str = ""
    body: str = ""
    channels: list[str] = field(default_factory=list)  # Channel values
    subject_in_sms: bool = False
    with_signature: bool = True
    emails: list[str] = field(default_factory=list)  # typed addresses
    mobiles: list[str] = field(default_factory=list)  # typed numbers (E.164 once added)
    faxes: list[str] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    list_ids: list[int] = field(default_factory=list)

    @property
    def sms_body(self) -> str:
        """The SMS copy: the text, with the subject as its first line if asked."""
        subject = self.subject.strip()
        return f"{subject}\n{self.body.strip()}" if self.subject_in_sms and subject else self.body


@dataclass(frozen=True)
class Person:
    """One recipient of a broadcast, with the address it has on each channel ("" for none)."""

    name: str
    contact_id: int | None = None
    email: str = ""
    mobile: str = ""
    fax: str = ""
    no_mobile_reason: str = ""

    def address(self, channel: str) -> str:
        return {Channel.EMAIL: self.email, Channel.SMS: self.mobile, Channel.FAX: self.fax}[channel]


@dataclass(frozen=True)
class PlannedCopy:
    position: int
    person: Person
    channel: str
    address: str = ""
    skip_reason: str = ""  # set: this copy is not sent, and this is why


@dataclass
class BroadcastPlan:
    channels: list[str]
    people: list[Person] = field(default_factory=list)
    copies: list[PlannedCopy] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sms: SendPlan | None = None

    def sending(self, channel: str) -> list[PlannedCopy]:
        return [c for c in self.copies if c.channel == channel and not c.skip_reason]

    def skipped(self, channel: str) -> list[PlannedCopy]:
        return [c for c in self.copies if c.channel == channel and c.skip_reason]

    @property
    def sms_numbers(self) -> list[str]:
        return [c.address for c in self.sending(Channel.SMS)]

    @property
    def credits(self) -> int:
        return self.sms.credits if self.sms else 0

    @property
    def unreachable(self) -> list[Person]:
        """People who get nothing on any ticked channel."""
        reached = {c.position for c in self.copies if not c.skip_reason}
        return [p for i, p in enumerate(self.people) if i not in reached]


def broadcast_plan(*, user: User, draft: Draft) -> BroadcastPlan:
    """Check the draft and work out every copy; writes nothing."""
    channels = [c for c in Channel.values if c in draft.channels]
    plan = BroadcastPlan(channels=channels)
    if not channels:
        plan.problems.append(Problem("channels", "", _("Tick at least one channel: email, SMS or fax.")))
    text_problems = _text_problems(draft.body)
    plan.problems += _subject_problems(draft.subject) + text_problems
    if Channel.EMAIL in channels and not user.email:
        plan.problems.append(
            Problem("channels", "", _("Add your email address in Personal data first: replies to the email go to it."))
        )
    plan.people = _people(user, draft, plan.problems)
    if not plan.people:
        plan.problems.append(Problem("recipients", "", _("Add at least one recipient.")))
    elif len(plan.people) > (most := limits_for(user).max_recipients):
        # The user's own limit (the admin's Sending limits), as for any SMS send.
        plan.problems.append(
            Problem(
                "recipients",
                "",
                _("%(count)s recipients: at most %(max)s in one message.") % {"count": len(plan.people), "max": most},
            )
        )
    plan.copies = _copies(plan.people, channels)
    if plan.people and channels and len(plan.unreachable) == len(plan.people):
        plan.problems.append(
            Problem("recipients", "", _("None of the recipients has an address for the ticked channels."))
        )
    if Channel.SMS in channels and plan.sms_numbers:
        plan.sms = message_plan(
            user=user, body=draft.sms_body, to=plan.sms_numbers, with_signature=draft.with_signature
        )
        # A problem with the text itself is reported once, by _text_problems.
        plan.problems += [
            Problem(p.field, p.value, _("SMS copy: %(reason)s") % {"reason": p.reason})
            for p in plan.sms.problems
            if not (p.field == "body" and text_problems)
        ]
    return plan


def broadcast_send(*, user: User, draft: Draft, idempotency_key: str = "", now: dt.datetime | None = None) -> Broadcast:
    """Send the draft on every ticked channel, all or nothing.

    Raises SendRefused (each problem named: a daily limit on any channel, the rate
    limit) or credits.services.InsufficientCredit for the SMS copy; in both cases
    nothing is written, held or sent. With an
    `idempotency_key` already used by this user, returns that broadcast.
    """
    now = now or timezone.now()
    if idempotency_key:
        existing = Broadcast.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    plan = broadcast_plan(user=user, draft=draft)
    if plan.problems:
        raise SendRefused(plan.problems)
    try:
        return _broadcast_write(user, draft, plan, idempotency_key, now)
    except IntegrityError:
        if idempotency_key:  # a concurrent request with the same key won: theirs is the send
            return Broadcast.objects.get(user=user, idempotency_key=idempotency_key)
        raise


def deliveries_dispatch(*, delivery_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Send the queued email and fax copies among `delivery_ids`; returns how many were tried."""
    now = now or timezone.now()
    claim, ids = outbox.claim(COPIES, delivery_ids, now=now)
    # Committed: from here on these copies are never sent again automatically.
    if not ids:
        return 0
    rows = list(Delivery.objects.filter(claim=claim).select_related("broadcast__user").order_by("id"))
    emails = [r for r in rows if r.channel == Channel.EMAIL]
    faxes = [r for r in rows if r.channel == Channel.FAX]
    results = zip(emails, _send(Channel.EMAIL, [broadcast_email(delivery=r) for r in emails]), strict=True)
    faxed = zip(faxes, _send(Channel.FAX, [_fax(row, now) for row in faxes]), strict=True)
    with transaction.atomic():
        outbox.record(COPIES, claim, [*results, *faxed], now=timezone.now())
    return len(rows)


def deliveries_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat: stale claims become `unknown`; due retries and copies whose task was lost are enqueued."""
    now = now or timezone.now()
    return {
        "copies_unknown": outbox.expire_stale(COPIES, now=now),
        "copies_enqueued": outbox.enqueue_due(COPIES, now=now),
    }


def enqueue_deliveries(delivery_ids: Sequence[int]) -> None:
    """Hand chunks of ids to the workers. A broker failure loses nothing: the sweep retries."""
    outbox.enqueue(COPIES, delivery_ids)


TemplateRefused = templates.TemplateRefused


def message_template_save(*, user: User, name: str, draft: Draft) -> MessageTemplate:
    """Save the draft's subject, text and channels under `name` (replacing a template of that name),
    as the one kind of template the SMS composer shares (messaging.services.templates).

    Raises TemplateRefused, saving nothing, when the name, subject or text is not right."""
    problems = [] if " ".join(name.split()) else [Problem("template_name", "", _("Give the template a name."))]
    problems += _subject_problems(draft.subject) + _text_problems(draft.body)
    if problems:
        raise TemplateRefused(problems)
    # Saved again from this tool, a template stays shared with the group it was shared with.
    kept = MessageTemplate.objects.filter(user=user, name=" ".join(name.split())[:100]).first()
    return templates.message_template_save(
        user=user,
        name=name,
        body=draft.body,
        group=kept.group if kept else None,
        subject=draft.subject,
        channels=[c for c in Channel.values if c in draft.channels],
        subject_in_sms=draft.subject_in_sms,
    )


# Internals --------------------------------------------------------------------------


def _subject_problems(subject: str) -> list[Problem]:
    if not subject.strip():
        return [Problem("subject", "", _("Write a subject."))]
    if "\n" in subject or "\r" in subject:
        # A line break in a header would start another header (header injection).
        return [Problem("subject", "", _("The subject must be one line: remove the line breaks."))]
    if any(unicodedata.category(c) == "Cc" for c in subject):
        return [Problem("subject", "", _("The subject contains control characters: remove them."))]
    if len(subject) > SUBJECT_MAX:
        return [
            Problem(
                "subject",
                "",
                _("The subject has %(count)s characters; at most %(max)s.")
                % {"count": len(subject), "max": SUBJECT_MAX},
            )
        ]
    return []


def _text_problems(body: str) -> list[Problem]:
    if not body.strip():
        return [Problem("body", "", _("Write a message."))]
    if len(body) > settings.MESSAGES_MAX_TEXT:
        return [
            Problem(
                "body",
                "",
                _("The text has %(count)s characters; at most %(max)s.")
                % {"count": len(body), "max": settings.MESSAGES_MAX_TEXT},
            )
        ]
    bad = sorted({c for c in body if unicodedata.category(c) == "Cc" and c not in TEXT_CONTROL_ALLOWED})
    if bad:
        names = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
        return [
            Problem("body", "", _("The text contains control characters (%(names)s): remove them.") % {"names": names})
        ]
    return []


def check_email(raw: str) -> tuple[str, str]:
    """A typed email address, normalised, and the error to show ("" when fine)."""
    address = raw.strip()
    try:
        validate_email(address)
    except ValidationError:
        shown = address if len(address) <= 60 else address[:59] + "…"
        return "", _("“%(address)s” is not an email address, for example ann@example.com.") % {"address": shown}
    return address, ""


def check_number(raw: str, user: User, *, mobile: bool) -> tuple[str, str]:
    """A typed mobile or fax number as E.164, and the error to show ("" when fine)."""
    try:
        parsed = parse_number(raw, default_region=user.default_country or None, require_mobile=mobile)
    except PhoneNumberError as error:
        return "", str(error)
    return parsed.e164, ""


def _people(user: User, draft: Draft, problems: list[Problem]) -> list[Person]:
    """Everyone the draft names, once each, in the order they were added."""
    people: dict[tuple, Person] = {}
    for raw in draft.emails:
        address, error = check_email(raw)
        if error:
            problems.append(Problem("recipients", "", error))
        else:
            people.setdefault(("email", address.lower()), Person(name=address, email=address))
    for raw, is_mobile in [(n, True) for n in draft.mobiles] + [(n, False) for n in draft.faxes]:
        number, error = check_number(raw, user, mobile=is_mobile)
        if error:
            kind = _("mobile number") if is_mobile else _("fax number")
            problems.append(Problem("recipients", raw[:60], f"{kind}: {error}"))
        elif is_mobile:
            people.setdefault(("mobile", number), Person(name=format_international(number), mobile=number))
        else:
            people.setdefault(("fax", number), Person(name=format_international(number), fax=number))
    contacts = contacts_visible(user=user).prefetch_related("phones", "emails")
    for contact in objects_visible_by_id(contacts, draft.contact_ids, "contacts", problems):
        people.setdefault(("contact", contact.pk), _contact_person(contact))
    for contact_list in objects_visible_by_id(contact_lists_visible(user=user), draft.list_ids, "lists", problems):
        _add_list_members(user, contact_list, people)
    return list(people.values())


def _add_list_members(user: User, contact_list: ContactList, people: dict[tuple, Person]) -> None:
    members = list_members_reachable(user=user, contact_list=contact_list)
    members = members.select_related("contact").prefetch_related("contact__phones", "contact__emails")
    for member in members:
        if member.contact_id:
            people.setdefault(("contact", member.contact_id), _contact_person(member.contact))
        elif member.email:
            people.setdefault(("email", member.email.lower()), Person(name=member.email, email=member.email))
        elif member.phone:
            # The SMS pipeline's rule for a List member (landline: skipped, with the same reason).
            mobile, reason = list_member_mobile(member)
            person = Person(name=format_international(member.phone), mobile=mobile, no_mobile_reason=reason)
            people.setdefault(("mobile", member.phone), person)


def _contact_person(contact: Contact) -> Person:
    phones = list(contact.phones.all())
    mobile, no_mobile_reason = contact_mobile(contact)  # the SMS pipeline's rule
    faxes = [p for p in phones if p.label == PhoneLabel.FAX and p.e164]
    emails = list(contact.emails.all())
    return Person(
        name=contact.name,
        contact_id=contact.pk,
        email=emails[0].address if emails else "",
        mobile=mobile,
        no_mobile_reason=no_mobile_reason,
        fax=faxes[0].e164 if faxes else "",
    )


def _copies(people: list[Person], channels: list[str]) -> list[PlannedCopy]:
    """A copy per person and channel; a missing address or one already served is skipped."""
    missing = {
        Channel.EMAIL: _("no email address"),
        Channel.SMS: _("no mobile number"),
        Channel.FAX: _("no fax number"),
    }
    served: dict[tuple[str, str], str] = {}
    copies = []
    for position, person in enumerate(people):
        for channel in channels:
            address = person.address(channel)
            if not address:
                reason = person.no_mobile_reason if channel == Channel.SMS and person.no_mobile_reason else ""
                copies.append(PlannedCopy(position, person, channel, skip_reason=reason or missing[channel]))
            elif (channel, address.lower()) in served:
                first = served[(channel, address.lower())]
                reason = _("same address as %(name)s: sent once") % {"name": first}
                copies.append(PlannedCopy(position, person, channel, address, skip_reason=reason))
            else:
                served[(channel, address.lower())] = person.name
                copies.append(PlannedCopy(position, person, channel, address))
    return copies


def _broadcast_write(user: User, draft: Draft, plan: BroadcastPlan, idempotency_key: str, now: dt.datetime):
    account = account_for(user=user)
    with transaction.atomic():
        # Every channel's daily limit and the rate limit, under the lock the SMS copy's
        # hold takes (limits.py): a concurrent send of this user waits here
        # until ours is committed, then counts it. All problems at once, before any write.
        account_lock(account=account)
        counts = {channel: len(plan.sending(channel)) for channel in plan.channels}
        problems = broadcast_limits_problems(user=user, counts=counts, now=now)
        if problems:
            raise SendRefused([Problem("recipients", "", reason) for reason in problems])
        sms_message = None
        if plan.sms_numbers:
            # The SMS copy is an ordinary send: credit held, daily limit checked, dispatched after commit.
            sms_message = message_send(
                user=user, body=draft.sms_body, to=plan.sms_numbers, with_signature=draft.with_signature, now=now
            )
        broadcast = Broadcast.objects.create(
            user=user,
            subject=draft.subject.strip(),
            body=draft.body,
            channels=",".join(plan.channels),
            subject_in_sms=draft.subject_in_sms,
            sms_message=sms_message,
            person_count=len(plan.people),
            idempotency_key=idempotency_key[:64],
        )
        recipients = {r.to: r for r in sms_message.recipients.all()} if sms_message else {}
        deliveries = Delivery.objects.bulk_create(
            _delivery_row(broadcast, copy, recipients, now) for copy in plan.copies
        )
        _name_sms_recipients(plan, recipients)
        queued = [d.pk for d in deliveries if d.status == DeliveryStatus.QUEUED]
        if queued:
            transaction.on_commit(lambda: enqueue_deliveries(queued))
    return broadcast


def _delivery_row(broadcast: Broadcast, copy: PlannedCopy, recipients: dict[str, Recipient], now: dt.datetime):
    row = Delivery(
        broadcast=broadcast,
        position=copy.position,
        name=copy.person.name[:200],
        contact_id=copy.person.contact_id,
        channel=copy.channel,
        address=copy.address,
    )
    if copy.skip_reason:
        row.status, row.error_reason = DeliveryStatus.SKIPPED, copy.skip_reason[:500]
    elif copy.channel == Channel.SMS:
        row.sms_recipient = recipients[copy.address]
    else:
        row.status, row.next_attempt_at, row.enqueued_at = DeliveryStatus.QUEUED, now, now
    return row


def _name_sms_recipients(plan: BroadcastPlan, recipients: dict[str, Recipient]) -> None:
    """Link the SMS recipients to their contacts, so that the SMS pages name them."""
    named = []
    for copy in plan.sending(Channel.SMS):
        if copy.person.contact_id:
            recipient = recipients[copy.address]
            recipient.contact_id = copy.person.contact_id
            named.append(recipient)
    bulk_update(named, ["contact"])


def _send(channel: str, items: list) -> list[SendResult]:
    return outbox.provider_results(get_gateway(channel=channel), items, reason_max=500)


def _fax(row: Delivery, now: dt.datetime) -> OutgoingFax:
    return OutgoingFax(row.pk, row.address, row.broadcast.subject, _fax_document(row, now))


def _fax_document(row: Delivery, now: dt.datetime) -> bytes:
    user = row.broadcast.user
    cover = FaxCover(
        sender=relayed_name(user),
        recipient=row.name if row.name != format_international(row.address) else "",
        number=format_international(row.address),
        subject=row.broadcast.subject,
        sent_at=now.astimezone(zoneinfo.ZoneInfo(user.time_zone)),
    )
    return fax_pdf(cover=cover, text=row.broadcast.body)


def channel_counts(plan: BroadcastPlan) -> list[tuple[str, str, int, list[PlannedCopy]]]:
    """(channel, label, copies sent, copies skipped) for the summary, in Channel order."""
    labels = dict(Channel.choices)
    return [(c, labels[c], len(plan.sending(c)), plan.skipped(c)) for c in plan.channels]


def people_by_position(deliveries: Sequence[Delivery], channels: Sequence[str]) -> list[tuple[str, list]]:
    """Delivery rows as one line per person: (name, [delivery or None for each channel, in order])."""
    lines: dict[int, tuple[str, dict[str, Delivery]]] = defaultdict(lambda: ("", {}))
    for delivery in deliveries:
        name, cells = lines[delivery.position]
        cells[delivery.channel] = delivery
        lines[delivery.position] = (name or delivery.name, cells)
    return [(lines[p][0], [lines[p][1].get(c) for c in channels]) for p in sorted(lines)]
