"""Planning a send: read and check every number, contact and List, count the parts.

    message_plan()      who would get the SMS, what it costs, and every problem, per input;
                        writes nothing (the composer's preview is this plan)

A number or contact given directly that cannot take SMS is a problem (the send is
refused, naming it). A List member that cannot is skipped instead, with its reason
(accounts.selectors.list_member_mobile, the rule the Messages tool uses too): the
others get the SMS and only they are counted and paid. A send where nobody is
reachable is still refused.

Placeholders (`{first_name}`, `{city|Brussels}`, placeholders.py) make each recipient's
text its own: personalise() builds and counts every text; the credit is the sum of each
recipient's parts. A placeholder with no value and no fallback refuses the send, naming
the recipients lacking it; an unknown one is named with what it may have meant.

The accepting stage (accepting.py) writes a plan that has no problem.
"""

import datetime as dt
import difflib
import unicodedata
from collections.abc import Mapping, Sequence
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

from .. import placeholders, segments
from ..inbox import opted_out
from ..models import SendingLimits
from ..senders import sender_for, sender_id_problem
from ..smart_encoding import gsm_friendly

ALLOWED_CONTROL = {"\n", "\r"}
# The reason a number on the opt-out list is skipped (planning, batches, the composer, the API).
OPTED_OUT = gettext_lazy("opted out")
# The counter counts this much of a text, the composer's field and the API's limit: past
# 10 parts it shows the real count (and that it is too long), not the count of a cut text.
COUNTED_CHARACTERS = 20_000


@dataclass(frozen=True)
class Problem:
    """One rejected input: which field, what was given, and why."""

    field: str  # to, contacts, lists, body, placeholders, send_at
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
    # Its placeholder values (the contact's, a CSV row's columns); typed numbers have none.
    values: Mapping[str, str] = field(default_factory=dict)
    text: str = ""  # its own text, when placeholders made one ("" = the plan's text)
    parts: int = 0  # its own parts, with its own text

    @property
    def label(self) -> str:
        """How pages name it: the contact's name, else the number written for reading."""
        return self.name or format_international(self.to)


@dataclass(frozen=True)
class CsvRow:
    """A recipient from a CSV (recipient_csv.py): a number as written, its line, its columns."""

    to: str
    line: int
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedRecipient:
    """A List member that cannot take SMS: written as a `skipped` recipient, never sent, no credit."""

    to: str  # E.164, or "" when the contact has no readable number
    label: str  # "Team: +32 2 555 12 12" or "Team: Office Desk"
    reason: str
    contact_id: int | None = None
    list_id: int | None = None  # the List it came from (the composer's List row counts them)


@dataclass
class SendPlan:
    """What a send would be: used by message_send and by the composer's preview."""

    text: str
    info: segments.SegmentInfo
    recipients: list[PlannedRecipient] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[SkippedRecipient] = field(default_factory=list)
    personalised: bool = False  # placeholders: each recipient has its own text and parts
    sender: str = ""  # the approved sender ID picked ("" = the gateway's number)

    @property
    def credits(self) -> int:
        """What is held: the sum of each recipient's parts."""
        if self.personalised:
            return sum(r.parts for r in self.recipients)
        return self.info.segments * len(self.recipients)

    def parts_of(self, recipient: PlannedRecipient) -> int:
        return recipient.parts if self.personalised else self.info.segments

    def text_of(self, recipient: PlannedRecipient) -> str:
        return recipient.text if self.personalised else self.text

    def sender_of(self, recipient: PlannedRecipient) -> str:
        """What this recipient is sent from: the sender ID, or "" (the number) where names are refused."""
        return sender_for(self.sender, recipient.to)

    @property
    def number_fallback(self) -> list[PlannedRecipient]:
        """Recipients who get the SMS from the number although a sender ID was picked."""
        return [r for r in self.recipients if self.sender and not self.sender_of(r)]

    @property
    def parts_range(self) -> tuple[int, int]:
        """The fewest and most parts a recipient's text takes."""
        if not self.personalised or not self.recipients:
            return self.info.segments, self.info.segments
        parts = [r.parts for r in self.recipients]
        return min(parts), max(parts)

    @property
    def previews(self) -> list[tuple[str, str]]:
        """The first three texts as they will be sent, each with who gets it."""
        return [(r.name or format_international(r.to), self.text_of(r)) for r in self.recipients[:3]]


# The fields of a Problem that name recipients (what was typed, a contact, a List).
RECIPIENT_FIELDS = ("to", "contacts", "lists")


def message_plan(
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
    sender: str = "",
) -> SendPlan:
    """Check every input and work out recipients, texts, parts and credits; writes nothing.

    `with_placeholders` reads `{first_name}`-style placeholders in `body` (the composer and
    the API; texts that programs write, such as the agenda, are sent as they are);
    `csv_rows` are recipients read from a CSV (their columns are placeholders);
    `smart_encoding` rewrites look-alike characters so that texts stay GSM-7;
    `sender` names an approved sender ID of the user (or their organisation).
    """
    text = compose_text(body=body, user=user, with_signature=with_signature)
    if smart_encoding:
        text = gsm_friendly(text)
    plan = SendPlan(text=text, info=segments.count(text[:COUNTED_CHARACTERS]))
    template = placeholders.parse(body[:COUNTED_CHARACTERS] if with_placeholders else "")
    if not template.slots:
        plan.problems += body_problems(body, text, plan.info)
    if sender and (problem := sender_problem(user, sender)):
        plan.problems.append(Problem("sender", sender[:60], problem))
    elif sender:
        plan.sender = sender
    limits = limits_for(user)
    found: dict[str, PlannedRecipient] = {}

    def add(raw: str, contact: Contact | None = None, values: Mapping[str, str] | None = None) -> str:
        """Add one number; returns why it cannot be used ("" when added)."""
        try:
            parsed = parse_number(raw, default_region=user.default_country or None, require_mobile=True)
        except PhoneNumberError as error:
            return str(error)
        if limits.countries and parsed.region not in limits.countries:
            return _("%(number)s: SMS to this country are not allowed here.") % {"number": parsed.international}
        plan.warnings += [w for w in parsed.warnings if w not in plan.warnings]
        # The same number from several inputs is one recipient, named after a contact if any
        # names it; its values are the contact's and a CSV row's columns together.
        known = found.get(parsed.e164)
        if known is None or (contact and known.contact_id is None) or values:
            own = dict(known.values) if known else {}
            if contact:
                own = {**placeholders.contact_values(contact.name, contact.organisation), **own}
            own.update(values or {})
            found[parsed.e164] = PlannedRecipient(
                parsed.e164,
                contact.pk if contact else (known.contact_id if known else None),
                contact.name if contact else (known.name if known else ""),
                own,
            )
        return ""

    for raw in to:
        if reason := add(str(raw)):
            plan.problems.append(Problem("to", str(raw)[:60], reason))
    for row in csv_rows:
        if reason := add(row.to, values=row.values):
            plan.problems.append(Problem("to", str(row.to)[:60], reason))
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
                skipped[key] = SkippedRecipient(
                    to[:16], f"{contact_list.name}: {member}", reason, member.contact_id, contact_list.pk
                )
    plan.recipients = list(found.values())
    if template.slots:
        columns = {name for row in csv_rows[:1] for name in row.values}
        personalise(
            plan,
            template,
            body=body,
            user=user,
            with_signature=with_signature,
            columns=columns,
            smart_encoding=smart_encoding,
        )
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


def sender_problem(user: User, name: str) -> str:
    """Why `user` may not send as `name` ("" when they may): its form, then its approval."""
    from ..selectors import sender_ids_usable

    if problem := sender_id_problem(name):
        return problem
    if name not in sender_ids_usable(user=user):
        return _(
            "“%(name)s” is not a sender ID approved for you: pick one listed in Settings → Sender IDs, "
            "or send from the number."
        ) % {"name": name}
    return ""


# How many recipients a refusal names before "and N more".
NAMED_IN_REFUSAL = 5


def personalise(
    plan: SendPlan,
    template: placeholders.Template,
    *,
    body: str,
    user: User,
    with_signature: bool,
    columns: set[str],
    smart_encoding: bool,
) -> None:
    """Each recipient's own text and parts, and the problems: an unknown placeholder, a
    placeholder some recipients have no value for (naming them), a text too long."""
    known = set(placeholders.CONTACT_FIELDS) | columns
    for name in template.names:
        if name not in known:
            plan.problems.append(Problem("placeholders", "", unknown_placeholder(name, known)))
    counted: dict[str, segments.SegmentInfo] = {}  # texts repeat (fallbacks, same first names)
    lacking: dict[str, list[str]] = {}
    personal = []
    for recipient in plan.recipients:
        filled, missing = template.render(recipient.values)
        for name in missing:
            lacking.setdefault(name, []).append(recipient.name or format_international(recipient.to))
        text = compose_text(body=filled, user=user, with_signature=with_signature)
        if smart_encoding:
            text = gsm_friendly(text)
        info = counted.get(text)
        if info is None:
            info = counted[text] = segments.count(text[:COUNTED_CHARACTERS])
        personal.append(PlannedRecipient(recipient.to, recipient.contact_id, recipient.name, {}, text, info.segments))
    plan.recipients = personal
    plan.personalised = True
    for name, who in lacking.items():
        if name not in known:
            continue
        named = ", ".join(who[:NAMED_IN_REFUSAL])
        if len(who) > NAMED_IN_REFUSAL:
            named += " " + _("and %(count)s more") % {"count": len(who) - NAMED_IN_REFUSAL}
        plan.problems.append(
            Problem(
                "placeholders",
                "",
                _("{%(name)s} has no value for %(who)s: give it a fallback, {%(name)s|…}, or remove them.")
                % {"name": name, "who": named},
            )
        )
    # The longest text stands for the whole send in the counter and in the length check.
    longest = max(personal, key=lambda r: (r.parts, len(r.text)), default=None)
    sample = (
        longest.text if longest else compose_text(body=template.render({})[0], user=user, with_signature=with_signature)
    )
    plan.info = counted.get(sample) or segments.count(sample[:COUNTED_CHARACTERS])
    plan.problems += body_problems(body, sample, plan.info)


def unknown_placeholder(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return _("Unknown placeholder {%(name)s}: did you mean {%(close)s}?") % {"name": name, "close": close[0]}
    return _("Unknown placeholder {%(name)s}: use %(known)s.") % {
        "name": name,
        "known": ", ".join(f"{{{k}}}" for k in sorted(known)),
    }


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
