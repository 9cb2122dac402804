"""Planning a send: read and check every number, contact and List, count the parts.

    message_plan()      who would get the SMS, what it costs, and every problem, per input;
                        writes nothing (the composer's preview is this plan)

A number or contact given directly that cannot take SMS is a problem (the send is
refused, naming it). A List member that cannot is skipped instead, with its reason
(accounts.selectors.list_member_mobile, the rule the Messages tool uses too): the
others get the SMS and only they are counted and paid. A send where nobody is
reachable is still refused.

The accepting stage (accepting.py) writes a plan that has no problem.
"""

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Contact, User
from accounts.phones import PhoneNumberError, format_international, parse_number
from accounts.selectors import (
    contact_lists_visible,
    contact_mobile,
    contacts_visible,
    list_member_mobile,
    list_members_reachable,
)

from .. import segments
from ..inbox import opted_out
from ..models import SendingLimits

ALLOWED_CONTROL = {"\n", "\r"}
# The reason a number on the opt-out list is skipped (planning, batches, the composer, the API).
OPTED_OUT = gettext_lazy("opted out")
# The counter counts this much of a text, the composer's field and the API's limit: past
# 10 parts it shows the real count (and that it is too long), not the count of a cut text.
COUNTED_CHARACTERS = 20_000


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


@dataclass(frozen=True)
class SkippedRecipient:
    """A List member that cannot take SMS: written as a `skipped` recipient, never sent, no credit."""

    to: str  # E.164, or "" when the contact has no readable number
    label: str  # "Team: +32 2 555 12 12" or "Team: Office Desk"
    reason: str
    contact_id: int | None = None


@dataclass
class SendPlan:
    """What a send would be: used by message_send and by the composer's preview."""

    text: str
    info: segments.SegmentInfo
    recipients: list[PlannedRecipient] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[SkippedRecipient] = field(default_factory=list)

    @property
    def credits(self) -> int:
        return self.info.segments * len(self.recipients)


# The fields of a Problem that name recipients (what was typed, a contact, a List).
RECIPIENT_FIELDS = ("to", "contacts", "lists")


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
    plan = SendPlan(text=text, info=segments.count(text[:COUNTED_CHARACTERS]))
    plan.problems += body_problems(body, text, plan.info)
    limits = limits_for(user)
    found: dict[str, PlannedRecipient] = {}

    def add(raw: str, contact: Contact | None = None) -> str:
        """Add one number; returns why it cannot be used ("" when added)."""
        try:
            parsed = parse_number(raw, default_region=user.default_country or None, require_mobile=True)
        except PhoneNumberError as error:
            return str(error)
        if limits.countries and parsed.region not in limits.countries:
            return _("%(number)s: SMS to this country are not allowed here.") % {"number": parsed.international}
        plan.warnings += [w for w in parsed.warnings if w not in plan.warnings]
        # The same number from several inputs is one recipient, named after a contact if any names it.
        if parsed.e164 not in found or (contact and found[parsed.e164].contact_id is None):
            found[parsed.e164] = PlannedRecipient(
                parsed.e164, contact.pk if contact else None, contact.name if contact else ""
            )
        return ""

    for raw in to:
        if reason := add(str(raw)):
            plan.problems.append(Problem("to", str(raw)[:60], reason))
    contacts = objects_visible_by_id(
        contacts_visible(user=user).prefetch_related("phones"), contact_ids, "contacts", plan.problems
    )
    for contact in contacts:
        number, reason = contact_mobile(contact)
        reason = reason or add(number, contact=contact)
        if reason:
            plan.problems.append(Problem("contacts", contact.name, reason))
    lists = objects_visible_by_id(contact_lists_visible(user=user), list_ids, "lists", plan.problems)
    skipped: dict[str, SkippedRecipient] = {}
    for contact_list in lists:
        members = list_members_reachable(user=user, contact_list=contact_list)
        for member in members.select_related("contact").prefetch_related("contact__phones"):
            if not member.contact_id and not member.phone:
                continue  # an email address: the Messages tool's, not an SMS recipient
            number, reason = list_member_mobile(member)
            reason = reason or add(number, contact=member.contact)
            key = f"contact:{member.contact_id}" if member.contact_id else member.phone
            if reason and key not in skipped:
                to = member.phone or _first_number(member.contact)
                skipped[key] = SkippedRecipient(to[:16], f"{contact_list.name}: {member}", reason, member.contact_id)
    plan.recipients = list(found.values())
    reached = {r.to for r in plan.recipients}
    plan.skipped = [s for s in skipped.values() if not s.to or s.to not in reached]
    skip_opted_out(plan)
    if not plan.recipients and plan.skipped:
        # Nobody to send to: the send is refused, and each skip says why.
        plan.problems += [Problem("lists", s.label[:60], s.reason) for s in plan.skipped]
    # An empty send names everything missing at once: the text and the recipients.
    if not plan.recipients and not any(p.field in RECIPIENT_FIELDS for p in plan.problems):
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


def skip_opted_out(plan: SendPlan, gateway: str = "default") -> None:
    """Numbers on the opt-out list (they sent STOP, or a user put them there) are skipped,
    whichever way they were given: the same skip as an unreachable List member, no credit."""
    stopped = opted_out(gateway=gateway, numbers=[r.to for r in plan.recipients])
    if not stopped:
        return
    plan.skipped += [
        SkippedRecipient(r.to, r.name or format_international(r.to), str(OPTED_OUT), r.contact_id)
        for r in plan.recipients
        if r.to in stopped
    ]
    plan.recipients = [r for r in plan.recipients if r.to not in stopped]


def compose_text(*, body: str, user: User, with_signature: bool) -> str:
    """The text that is sent and counted: the body, then the signature on its own line."""
    body = body.strip()
    signature = user.signature.strip() if with_signature else ""
    return f"{body}\n{signature}" if signature and body else body


@dataclass(frozen=True)
class Limits:
    """Checked at planning time; the daily limits are in limits.py, checked under the account lock."""

    max_recipients: int
    countries: frozenset[str]


def limits_for(user: User) -> Limits:
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


def max_characters() -> int:
    return settings.SMS_MAX_PARTS * segments.GSM_PART


def body_problems(body: str, text: str, info: segments.SegmentInfo) -> list[Problem]:
    if not body.strip():
        return [Problem("body", "", _("Write a message."))]
    bad = sorted({c for c in body if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL})
    if bad:
        names = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
        return [
            Problem("body", "", _("The text contains control characters (%(names)s): remove them.") % {"names": names})
        ]
    if len(text) > max_characters() or info.segments > settings.SMS_MAX_PARTS:
        parts = info.segments if len(text) <= COUNTED_CHARACTERS else len(segments.split(text[:200_000]))
        return [
            Problem(
                "body",
                "",
                _("The text takes %(parts)s parts; at most %(max)s are allowed.")
                % {"parts": parts, "max": settings.SMS_MAX_PARTS},
            )
        ]
    return []


def send_at_problems(send_at: dt.datetime | None, now: dt.datetime) -> list[Problem]:
    if send_at is None:
        return []
    if timezone.is_naive(send_at):
        return [Problem("send_at", str(send_at), _("Give the time with its time zone."))]
    # The value stays ISO 8601 for the API; the reason names the time as the person reads it.
    when = formats.date_format(timezone.localtime(send_at), "SHORT_DATETIME_FORMAT")
    if send_at <= now:
        return [
            Problem("send_at", send_at.isoformat(), _("%(when)s is in the past: pick a later time.") % {"when": when})
        ]
    if send_at > now + dt.timedelta(days=366):
        return [
            Problem(
                "send_at",
                send_at.isoformat(),
                _("%(when)s is more than a year away: pick a time within a year.") % {"when": when},
            )
        ]
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


def _first_number(contact: Contact) -> str:
    """The number a skipped contact is shown with (its first readable one), or ""."""
    return next((phone.e164 for phone in contact.phones.all() if phone.e164), "")
