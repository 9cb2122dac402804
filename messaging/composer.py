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

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Contact, ContactList, ContactPhone, PhoneLabel, User
from accounts.phones import PhoneNumberError, parse_number
from accounts.selectors import contact_lists_visible, contacts_search, contacts_visible, list_members_reachable
from credits.selectors import member_standing
from credits.services import account_for

from . import recipient_csv, segments, smart_encoding
from .models import MessageTemplate
from .selectors import message_templates_visible
from .services.planning import SendPlan, limits_for, message_plan

SEARCH_RESULTS = 20  # a page of the picker
TEMPLATES_SHOWN = 200  # in the template pull-down, by name


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
    csv: str = ""  # recipients from a CSV, pasted or uploaded (decoded into the field)
    csv_column: str = ""  # the header chosen as the numbers ("": recognised by its name)
    template_id: int | None = None  # the template picked (its name is offered when saving)
    sender: str = ""  # an approved sender ID picked ("" = the number); planning checks it again

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
            csv=data.get("csv", ""),
            csv_column=data.get("csv_column", "")[:200],
            template_id=int(data["template"])
            if data.get("template", "").isdigit() and len(data["template"]) < 12
            else None,
            sender=data.get("sender", "")[:40],
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
    # A member of an organisation: their monthly limit (None: none) and what they used of it.
    member_limit: int | None = None
    member_used: int = 0

    @property
    def member_short(self) -> bool:
        return self.member_limit is not None and self.member_used + self.credits > self.member_limit

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


def counted_double(text: str, info: segments.SegmentInfo) -> list[str]:
    """The characters that count as two: the GSM extension table (€ [ ] { } ...) in GSM-7,
    characters outside the BMP (emoji) in UCS-2. The counter names them and says why."""
    if info.encoding == segments.GSM7:
        double = (char for char in text if char in segments.GSM_EXTENSION and char.isprintable())
    else:
        double = (char for char in text if segments.ucs2_cost(char) == 2)
    return list(dict.fromkeys(double))[:10]


@dataclass(frozen=True)
class Rewrite:
    """The GSM-friendly rewrite the counter offers: parts now and after (smart_encoding.py)."""

    parts_now: int
    parts_after: int


def rewrite_offer(plan: SendPlan) -> Rewrite | None:
    """Offered only when look-alike characters alone force UCS-2 (ê or an emoji would stay)."""
    if not smart_encoding.only_lookalikes_force_ucs2(plan.text):
        return None
    return Rewrite(plan.info.segments, segments.count(smart_encoding.gsm_friendly(plan.text)).segments)


@dataclass(frozen=True)
class CsvState:
    """The CSV field read: its recipients and bad rows, or why it cannot be used."""

    read: recipient_csv.CsvRecipients | None = None
    error: str = ""

    @property
    def rows(self) -> list:
        return self.read.rows if self.read else []


def csv_state(state: ComposerState, user: User) -> CsvState:
    if not state.csv.strip():
        return CsvState()
    try:
        read = recipient_csv.read(
            text=state.csv,
            number_column=state.csv_column,
            default_region=user.default_country or None,
            max_rows=limits_for(user).max_recipients,
        )
    except recipient_csv.CsvRefused as refused:
        return CsvState(error=str(refused))
    return CsvState(read=read)


def csv_upload(state: ComposerState, upload: UploadedFile | None) -> str:
    """Put an uploaded CSV into the CSV field; returns why it cannot be used ("" when read)."""
    if upload is None:
        return ""
    if upload.size and upload.size > recipient_csv.max_bytes():
        return recipient_csv.too_large(upload.size)
    try:
        state.csv = recipient_csv.decode(upload.read(recipient_csv.max_bytes() + 1))
    except recipient_csv.CsvRefused as refused:
        return str(refused)
    state.csv_column = ""
    return ""


def plan_for(state: ComposerState, user: User, csv: CsvState | None = None) -> SendPlan:
    csv = csv or csv_state(state, user)
    return message_plan(
        user=user,
        body=state.body,
        to=state.numbers,
        contact_ids=state.contact_ids,
        list_ids=state.list_ids,
        csv_rows=csv.rows,
        with_signature=state.with_signature,
        with_placeholders=True,
        sender=state.sender,
    )


def recipient_rows(state: ComposerState, user: User, plan: SendPlan) -> list[RecipientRow]:
    """The recipients as added, each with what it brings; a List says how many of its members `plan` skips."""
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
        detail = ngettext("%(count)s member", "%(count)s members", count) % {"count": count}
        if skipped := sum(1 for s in plan.skipped if s.list_id == item.pk):
            detail += ", " + ngettext(
                "%(count)s cannot take SMS (skipped)", "%(count)s cannot take SMS (skipped)", skipped
            ) % {"count": skipped}
        rows.append(RecipientRow("list", str(item.pk), _("List: %(name)s") % {"name": item.name}, detail))
    return rows


def _contact_names(user: User, numbers: list[str]) -> dict[str, str]:
    """E.164 -> the name of a contact the user can see with that number, in one query."""
    phones = ContactPhone.objects.filter(e164__in=numbers, contact__in=contacts_visible(user=user))
    return dict(phones.order_by("contact__name").values_list("e164", "contact__name").reverse())


def cost_of(plan: SendPlan, user: User) -> Cost:
    account = account_for(user=user)
    credits = plan.credits
    monthly = min(credits, account.monthly_remaining)
    standing = member_standing(user=user, account=account)
    return Cost(
        credits=credits,
        monthly=monthly,
        provision=credits - monthly,
        available=account.available,
        member_limit=standing.limit if standing else None,
        member_used=standing.used if standing else 0,
    )


@dataclass(frozen=True)
class SearchResults:
    """What Search shows: contacts that have a mobile (grouped by address book in the page) and Lists."""

    contacts: list[Contact] = field(default_factory=list)
    lists: list[ContactList] = field(default_factory=list)
    page: int = 1
    has_next: bool = False
    searched: bool = False

    def __bool__(self) -> bool:
        return bool(self.contacts or self.lists)


def search(user: User, query: str, page: int = 1, *, with_mobile: bool = True) -> SearchResults:
    """Contacts (with a mobile, unless `with_mobile` is False) and Lists matching `query`;
    an empty query lists them all, a page at a time.

    "Click on Search to select recipients in your private or group Contacts": with an
    empty box, every contact the user can send an SMS to, by address book, and every List.
    The Messages tool passes with_mobile=False: its email and fax go to others too.
    """
    query = query.strip()
    contacts = contacts_search(user=user, query=query)
    if with_mobile:
        mobile = ContactPhone.objects.filter(contact=OuterRef("pk"), label=PhoneLabel.MOBILE).exclude(e164="")
        contacts = contacts.filter(Exists(mobile))
    contacts = contacts.order_by("book__group__name", "book__name", "book_id", "name", "id")
    page = max(page, 1)
    start = (page - 1) * SEARCH_RESULTS
    found = list(contacts[start : start + SEARCH_RESULTS + 1])
    lists = contact_lists_visible(user=user).order_by("name")
    if query:
        lists = lists.filter(name__icontains=query)
    return SearchResults(
        contacts=found[:SEARCH_RESULTS],
        lists=list(lists[:SEARCH_RESULTS]) if page == 1 else [],
        page=page,
        has_next=len(found) > SEARCH_RESULTS,
        searched=True,
    )


def add_ticked(state: ComposerState, data: QueryDict) -> None:
    """Add the contacts and Lists ticked in the search results (checked again when planned)."""
    for value in data.getlist("pick_contact"):
        if value.isdigit() and len(value) < 12 and int(value) not in state.contact_ids:
            state.contact_ids.append(int(value))
    for value in data.getlist("pick_list"):
        if value.isdigit() and len(value) < 12 and int(value) not in state.list_ids:
            state.list_ids.append(int(value))


def send_at_from_local(state: ComposerState, user: User) -> tuple[dt.datetime | None, str]:
    """The scheduled time as an aware datetime in the user's time zone, or the error to show.

    A date with "Send later" off is refused, never sent at once: the person meant a time.
    """
    if not state.send_later:
        if state.send_at_local.strip():
            return None, _(
                "A date is filled in but “Send later” is off: switch “Send later” on to send at that time, "
                "or clear the date to send now."
            )
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


@dataclass(frozen=True)
class TemplatesState:
    """The templates block: what can be picked, the one picked, where a new one can be shared."""

    visible: list[MessageTemplate]
    picked: MessageTemplate | None
    groups: list[Group]


def templates_state(state: ComposerState, user: User) -> TemplatesState:
    visible = list(message_templates_visible(user=user).select_related("group")[:TEMPLATES_SHOWN])
    picked = next((t for t in visible if t.pk == state.template_id), None)
    return TemplatesState(visible=visible, picked=picked, groups=list(user.groups.order_by("name")))
