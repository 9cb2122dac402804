"""Hypothesis posts hostile strings into the main forms: no 500, and a refused form writes nothing.

Each form is first fetched as a user would see it; its fields keep their valid values
except those hypothesis replaces with control characters, RTL marks, zero-width
joiners, NUL bytes, markup, 100 KB values and arbitrary Unicode.
"""

from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits.models import CreditPack, Plan
from credits.services import account_for, credits_grant
from reminders.services.calendars import calendar_create
from tests.factories import UserFactory

PIECES = [
    "\x00",
    "\x07\x1b[31m",
    "\r\n",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200d",  # zero-width joiner
    "\u200b\ufeff",
    "👩‍👩‍👧",
    "Ünïcödé",
    "<script>alert(1)</script>",
    "{{ 7*7 }}{% now %}",
    "' OR 1=1 --",
    "+32 475 12 34 56",
    "%s%n%x",
    "",
]
hostile = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.sampled_from(PIECES[:-1]).map(lambda piece: (piece * (100_000 // len(piece) + 1))[:100_000]),
)
OUR_APPS = ("accounts", "credits", "messaging", "reminders", "mailalerts")


class FormFields(HTMLParser):
    """The fields of the first POST form in a page, with the values it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._in_form = self._done = False
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and not self._done:
            self._in_form = "logout" not in (a.get("action") or "")
        if not self._in_form or not a.get("name"):
            return
        name = a["name"]
        if tag == "input" and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.setdefault(name, []).append(a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self.fields.setdefault(name, []).append("")
        elif tag == "option" and self._select and self._select not in self.fields:
            self.fields[self._select] = [a.get("value") or ""]

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True
        elif tag == "select":
            self._select = None


def form_of(client, url: str) -> dict[str, list[str]]:
    parser = FormFields()
    parser.feed(client.get(url).content.decode())
    return parser.fields


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for name in OUR_APPS
        for model in apps.get_app_config(name).get_models()
    }


@pytest.fixture
def member(db):
    Plan.objects.get_or_create(name="Standard", defaults={"monthly_allowance": 50, "is_default": True})
    user = UserFactory(full_name="Ann Peeters", mobile="+32475123456")
    credits_grant(account=account_for(user=user), amount=100, reason="fuzz", actor=None)
    calendar_create(name="Work", owner=user)
    CreditPack.objects.create(name="Hundred", credits=100, price_cents=900)
    return user


# form name -> (url name, extra fields a submit button would add, fields left valid)
FORMS = {
    "composer": ("sms_compose", {"action": "send", "to": "+32475000001"}, {"idempotency_key"}),
    "personal data": ("personal_data", {}, set()),
    "contact": ("contact_create", {}, set()),
    "event": ("event_new", {}, set()),
    "mail filter": ("mailalerts_filter_new", {}, set()),
    "purchase": ("credit", {}, set()),
    # Beyond the six the issue names: every other form that writes.
    "messages tool": ("messages_compose", {"action": "send", "to": "+32475000001"}, {"idempotency_key"}),
    "list": ("list_create", {}, set()),
    "agenda": ("agenda_settings", {}, set()),
    "mail alert settings": ("mailalerts_settings", {}, set()),
    "low-credit threshold": ("quotas", {}, set()),
    "calendar": ("calendar_new", {}, set()),
}


@pytest.mark.parametrize("form_name", sorted(FORMS))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_strings_in_a_form_give_no_500_and_a_refusal_writes_nothing(client, member, form_name, data):
    url_name, extra, keep = FORMS[form_name]
    client.force_login(member)
    url = reverse(url_name)
    fields = {name: values[0] for name, values in form_of(client, url).items()}
    fields.update(extra)
    replaceable = sorted(name for name in fields if name not in keep and not name.endswith(("TOTAL_FORMS", "FORMS")))
    chosen = data.draw(st.lists(st.sampled_from(replaceable), min_size=1, unique=True), label="fields")
    for name in chosen:
        fields[name] = data.draw(hostile, label=name)

    before = row_counts()
    response = client.post(url, fields)
    assert response.status_code < 500, f"{form_name}: {response.status_code} for {chosen}"
    if response.status_code != 302:  # refused: the form again, or a 4xx page
        assert row_counts() == before, f"{form_name}: a refused form wrote rows"
