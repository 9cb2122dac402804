"""The composer's state and what the page shows of it; no writes here.

The page keeps its recipients in hidden fields (typed numbers in E.164, contact ids,
List ids), so it works as a plain form without JavaScript. Every request rebuilds
the state from those fields and checks them again on the server: a hand-edited field
or another user's contact id is refused like any bad input.
"""

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Contact, ContactList, ContactPhone, User
from accounts.phones import PhoneNumberError, parse_number
from accounts.selectors import contact_lists_visible, contacts_search, contacts_visible, list_members_reachable
from credits.services import account_for

from . import segments
from .services.planning import SendPlan, message_plan

# Typographic characters that force UCS-2, and their GSM replacements.
PLAIN_REPLACEMENTS = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "…": "...",
    "\u00a0": " ",
}
SEARCH_RESULTS = 10


@dataclass
class ComposerState:
    numbers: list[str] = field(default_factory=list)  # E.164
    contact_ids: list[int] = field(default_factory=list)
    list_ids: list[int] = field(default_factory=list)
    body: str = ""
    with_signature: bool = True
    send_later: bool = False
    send_at_local: str = ""  # as the datetime-local field sends it: 2026-12-01T09:30
    idempotency_key: str = ""

    @classmethod
    def from_data(cls, data: QueryDict) -> "ComposerState":
        return cls(
            # Numbers this page wrote itself; a tampered one is dropped before any query
            # (a NUL would reach PostgreSQL), an odd but printable one is shown as a problem.
            numbers=_unique(n for n in data.getlist("to") if n and len(n) <= 40 and n.isprintable()),
            contact_ids=_unique(int(i) for i in data.getlist("contact") if i.isdigit() and len(i) < 12),
            list_ids=_unique(int(i) for i in data.getlist("list") if i.isdigit() and len(i) < 12),
            body=data.get("body", ""),
            with_signature=data.get("with_signature") == "on" if "body" in data else True,
            send_later=data.get("send_later") == "on",
            send_at_local=data.get("send_at", ""),
            idempotency_key=data.get("idempotency_key", "")[:64] or uuid.uuid4().hex,
        )


@dataclass(frozen=True)
class RecipientRow:
    """One added entry as the page lists it."""

    kind: str  # number, contact, list
    value: str  # what the hidden field holds
    label: str
    detail: str = ""
    warning: str = ""
    problem: str = ""


@dataclass(frozen=True)
class Cost:
    credits: int
    monthly: int  # paid from the monthly quota
    provision: int  # then from provision
    available: int

    @property
    def short(self) -> bool:
        return self.credits > self.available


def add_number(state: ComposerState, typed: str, user: User) -> str:
    """Add a typed number; returns the error to show next to the field ("" when added)."""
    try:
        parsed = parse_number(typed, default_region=user.default_country or None, require_mobile=True)
    except PhoneNumberError as error:
        return str(error)
    if parsed.e164 in state.numbers:
        return _("%(number)s is already a recipient.") % {"number": parsed.international}
    state.numbers.append(parsed.e164)
    return ""


def replace_typographic(body: str) -> str:
    return "".join(PLAIN_REPLACEMENTS.get(char, char) for char in body)


def replaceable(info: segments.SegmentInfo) -> list[str]:
    return [char for char in info.ucs2_characters if char in PLAIN_REPLACEMENTS]


def plan_for(state: ComposerState, user: User) -> SendPlan:
    return message_plan(
        user=user,
        body=state.body,
        to=state.numbers,
        contact_ids=state.contact_ids,
        list_ids=state.list_ids,
        with_signature=state.with_signature,
    )


def recipient_rows(state: ComposerState, user: User) -> list[RecipientRow]:
    rows = []
    names = _contact_names(user, state.numbers)
    for number in state.numbers:
        try:
            parsed = parse_number(number, default_region=None, require_mobile=True)
        except PhoneNumberError as error:
            rows.append(RecipientRow("number", number, number, problem=str(error)))
            continue
        rows.append(
            RecipientRow(
                "number",
                parsed.e164,
                parsed.international,
                names.get(parsed.e164, ""),
                warning=" ".join(parsed.warnings),
            )
        )
    contacts = {
        c.pk: c for c in contacts_visible(user=user).filter(pk__in=state.contact_ids).prefetch_related("phones")
    }
    for contact_id in state.contact_ids:
        contact = contacts.get(contact_id)
        if contact is None:
            rows.append(RecipientRow("contact", str(contact_id), _("Unknown contact"), problem=_("No such contact.")))
            continue
        usable = [p for p in contact.phones.all() if p.sms_refusal is None]
        rows.append(
            RecipientRow(
                "contact",
                str(contact.pk),
                contact.name,
                usable[0].display if usable else "",
                problem="" if usable else _("has no mobile number."),
            )
        )
    lists = {item.pk: item for item in contact_lists_visible(user=user).filter(pk__in=state.list_ids)}
    for list_id in state.list_ids:
        item = lists.get(list_id)
        if item is None:
            rows.append(RecipientRow("list", str(list_id), _("Unknown List"), problem=_("No such List.")))
            continue
        count = list_members_reachable(user=user, contact_list=item).count()
        rows.append(
            RecipientRow(
                "list",
                str(item.pk),
                _("List: %(name)s") % {"name": item.name},
                ngettext("%(count)s member", "%(count)s members", count) % {"count": count},
            )
        )
    return rows


def _contact_names(user: User, numbers: list[str]) -> dict[str, str]:
    """E.164 -> the name of a contact the user can see with that number, in one query."""
    phones = ContactPhone.objects.filter(e164__in=numbers, contact__in=contacts_visible(user=user))
    return dict(phones.order_by("contact__name").values_list("e164", "contact__name").reverse())


def cost_of(plan: SendPlan, user: User) -> Cost:
    account = account_for(user=user)
    credits = plan.credits
    monthly = min(credits, account.monthly_remaining)
    return Cost(credits=credits, monthly=monthly, provision=credits - monthly, available=account.available)


def search(user: User, query: str) -> tuple[list[Contact], list[ContactList]]:
    query = query.strip()
    if not query:
        return [], []
    contacts = list(contacts_search(user=user, query=query)[:SEARCH_RESULTS])
    lists = list(contact_lists_visible(user=user).filter(name__icontains=query)[:SEARCH_RESULTS])
    return contacts, lists


def send_at_from_local(state: ComposerState, user: User) -> tuple[dt.datetime | None, str]:
    """The scheduled time as an aware datetime in the user's time zone, or the error to show."""
    if not state.send_later:
        return None, ""
    try:
        local = dt.datetime.fromisoformat(state.send_at_local)
    except ValueError:
        return None, _("Give a date and time, for example 2026-12-01 09:30.")
    if local.tzinfo is not None:
        return None, _("Give a date and time, for example 2026-12-01 09:30.")
    return local.replace(tzinfo=zoneinfo.ZoneInfo(user.time_zone)), ""


def highlighted(text: str, forcing: tuple[str, ...]) -> list[tuple[str, bool]]:
    """The text in runs, flagged where a character forced UCS-2 (the template marks those)."""
    runs: list[tuple[str, bool]] = []
    for char in text:
        flag = char in forcing
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + char, flag)
        else:
            runs.append((char, flag))
    return runs


def prefill(state: ComposerState, data: QueryDict, user: User) -> str:
    """The recipient of a link from Contacts (?to=+32...); returns the error to show, if any.

    The contact's name is found again from the number, so a link cannot name a contact
    the user may not see.
    """
    typed = data.get("to", "")
    return add_number(state, typed, user) if typed else ""


def _unique(values) -> list:
    return list(dict.fromkeys(values))
