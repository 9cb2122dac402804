"""The Messages tool page's state and what it shows of it; no writes here.

Like the SMS composer, the page keeps its recipients in hidden fields (typed
addresses, contact ids, List ids) so that it works as a plain form; every request
rebuilds the draft from the fields and the services check it again.
"""

import uuid
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phones import format_international
from accounts.selectors import contact_lists_visible, contacts_visible
from messaging.models import MessageTemplate

from .models import Channel
from .services import Draft, check_email, check_number

MAX_IDS = 12  # digits of an id field: anything longer is not one of ours


@dataclass
class ToolState:
    draft: Draft
    idempotency_key: str

    @classmethod
    def from_data(cls, data: QueryDict) -> "ToolState":
        submitted = "body" in data  # a GET starts with the defaults
        draft = Draft(
            subject=data.get("subject", ""),
            body=data.get("body", ""),
            channels=[c for c in Channel.values if c in data.getlist("channel")],
            subject_in_sms=data.get("subject_in_sms") == "on",
            with_signature=data.get("with_signature") == "on" if submitted else True,
            emails=_unique(e for e in data.getlist("email") if e),
            mobiles=_unique(n for n in data.getlist("mobile") if n),
            faxes=_unique(n for n in data.getlist("fax") if n),
            contact_ids=_ids(data.getlist("contact")),
            list_ids=_ids(data.getlist("list")),
        )
        return cls(draft=draft, idempotency_key=data.get("idempotency_key", "")[:64] or uuid.uuid4().hex)

    @classmethod
    def from_template(cls, template: MessageTemplate) -> "ToolState":
        draft = Draft(
            subject=template.subject,
            body=template.body,
            channels=template.channel_list,
            subject_in_sms=template.subject_in_sms,
        )
        return cls(draft=draft, idempotency_key=uuid.uuid4().hex)


@dataclass(frozen=True)
class Entry:
    """One added recipient entry as the page lists it, with the value of its remove button."""

    kind: str  # email, mobile, fax, contact, list
    value: str
    label: str
    detail: str = ""


def add_typed(state: ToolState, kind: str, typed: str, user: User) -> str:
    """Add a typed email address, mobile or fax number; returns the error to show ("" when added)."""
    typed = typed.strip()
    if not typed:
        return _("Type an address or a number first.")
    if kind == "email":
        value, error = check_email(typed)
        target = state.draft.emails
    else:
        value, error = check_number(typed, user, mobile=kind == "mobile")
        target = state.draft.mobiles if kind == "mobile" else state.draft.faxes
    if error:
        return error
    if value not in target:
        target.append(value)
    return ""


def edit_entries(state: ToolState, action: str) -> None:
    """The add_contact:ID, add_list:ID and remove:KIND=VALUE buttons."""
    kind, _sep, value = action.partition(":")
    draft = state.draft
    if kind == "add_contact" and value.isdigit() and len(value) < MAX_IDS and int(value) not in draft.contact_ids:
        draft.contact_ids.append(int(value))
    elif kind == "add_list" and value.isdigit() and len(value) < MAX_IDS and int(value) not in draft.list_ids:
        draft.list_ids.append(int(value))
    elif kind == "remove":
        what, _sep, key = value.partition("=")
        if what in ("email", "mobile", "fax"):
            target = {"email": draft.emails, "mobile": draft.mobiles, "fax": draft.faxes}[what]
            target[:] = [v for v in target if v != key]
        elif what == "contact":
            draft.contact_ids = [i for i in draft.contact_ids if str(i) != key]
        elif what == "list":
            draft.list_ids = [i for i in draft.list_ids if str(i) != key]


def entries(state: ToolState, user: User) -> list[Entry]:
    draft = state.draft
    rows = [Entry("email", e, e, _("email")) for e in draft.emails]
    rows += [Entry("mobile", n, format_international(n), _("mobile")) for n in draft.mobiles]
    rows += [Entry("fax", n, format_international(n), _("fax")) for n in draft.faxes]
    contacts = dict(contacts_visible(user=user).filter(pk__in=draft.contact_ids).values_list("pk", "name"))
    rows += [Entry("contact", str(i), contacts.get(i, _("Unknown contact")), _("contact")) for i in draft.contact_ids]
    lists = {item.pk: item.name for item in contact_lists_visible(user=user).filter(pk__in=draft.list_ids)}
    rows += [Entry("list", str(i), _("List: %(name)s") % {"name": lists.get(i, _("unknown"))}) for i in draft.list_ids]
    return rows


def _ids(values: list[str]) -> list[int]:
    return _unique(int(v) for v in values if v.isdigit() and len(v) < MAX_IDS)


def _unique(values) -> list:
    return list(dict.fromkeys(values))
