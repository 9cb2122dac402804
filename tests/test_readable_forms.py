"""Forms and messages a person can read (issue 17, item 9): countries by name in the user's
language, canonical time zones, plurals by ngettext, messages that say what happened."""

import re
import unicodedata

import pytest
from django.urls import reverse

from credits.models import CreditPack, Plan, Purchase
from credits.services import account_for, credits_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def belgian(client):
    user = UserFactory(default_country="BE", time_zone="Europe/Brussels")
    client.force_login(user)
    return user


def options(page: str, select_name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{select_name}".*?</select>', page, re.DOTALL).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def folded(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


@pytest.mark.parametrize(
    ("language", "names"),
    [("en", ["Eswatini", "North Macedonia", "Ascension Island", "Belgium"]), ("fr", ["Belgique", "Macédoine du Nord"])],
)
def test_the_country_list_shows_current_names_sorted_in_the_users_language(client, belgian, language, names):
    belgian.language = language
    belgian.save()
    countries = options(client.get(reverse("personal_data")).content.decode(), "default_country")[1:]
    labels = [label for _code, label in countries]
    for name in names:
        assert any(label.startswith(name + " (+") for label in labels), name
    assert not any(label.startswith(("Swaziland", "Macedonia", "AC ")) for label in labels)
    assert [folded(label) for label in labels] == sorted(folded(label) for label in labels)


def test_the_time_zone_list_offers_canonical_zones_only(client, belgian):
    zones = [code for code, _label in options(client.get(reverse("personal_data")).content.decode(), "time_zone")]
    assert "Europe/Brussels" in zones and "America/New_York" in zones and "UTC" in zones
    for alias in ("US/Eastern", "Etc/GMT+1", "Europe/Belfast", "Asia/Calcutta"):
        assert alias not in zones


def test_a_too_short_number_is_judged_by_the_default_country(client, belgian):
    page = client.post(reverse("sms_compose"), {"action": "add", "mobile": "12345"}).content.decode()
    assert "has too few digits for Belgium" in page


def test_adding_a_number_twice_says_so(client, belgian):
    state = {"action": "add", "mobile": "0475 11 22 33", "to": "+32475112233"}
    page = client.post(reverse("sms_compose"), state).content.decode()
    assert "+32 475 11 22 33 is already a recipient" in page
    assert page.count('name="to" value="+32475112233"') == 1


def test_an_empty_send_names_everything_missing(client, belgian):
    page = client.post(reverse("sms_compose"), {"action": "send", "body": ""}).content.decode()
    assert "Add at least one recipient" in page
    assert "Write a message" in page


def test_a_send_time_in_the_past_is_said_in_the_users_format(client, belgian):
    Plan.objects.create(name="Standard", monthly_allowance=100, is_default=True)
    form = {"action": "send", "body": "hi", "to": "+32475112233", "send_later": "on", "send_at": "2020-11-29T10:00"}
    page = client.post(reverse("sms_compose"), form).content.decode()
    assert "29/11/2020 10:00" in page and "in the past" in page
    assert "2020-11-29T10:00:00+01:00" not in page


def test_the_first_api_token_is_not_called_a_replacement(client, belgian):
    first = client.post(reverse("api_settings"), follow=True).content.decode()
    assert "Your API token is ready" in first and "no longer works" not in first
    second = client.post(reverse("api_settings"), follow=True).content.decode()
    assert "the old one no longer works" in second


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_approval_message_counts_one_purchase_as_one(admin_client, settings):
    settings.PAYMENT_ADAPTER = "credits.payments.ManualPaymentAdapter"
    Plan.objects.create(name="Standard", monthly_allowance=100, is_default=True)
    account = account_for(user=UserFactory())
    pack = CreditPack.objects.create(name="Small", credits=100, price_cents=900)
    purchase = Purchase.objects.create(
        account=account, pack=pack, credits=100, price_cents=900, currency="EUR", adapter="manual"
    )
    changelist = reverse("admin:credits_purchase_changelist")
    form = {"action": "approve", "_selected_action": [purchase.pk]}
    page = admin_client.post(changelist, form, follow=True).content.decode()
    assert "1 purchase decided." in page
    page = admin_client.post(changelist, form, follow=True).content.decode()
    assert "1 was already decided and was left alone." in page
    assert "0 purchases decided" not in page


def test_the_admin_says_ledger_entries(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Ledger entries" in page and "entrys" not in page.lower()


def test_one_credit_is_singular_when_credit_is_short(client, belgian):
    Plan.objects.create(name="Empty", monthly_allowance=0, is_default=True)
    account_for(user=belgian)
    page = client.post(reverse("sms_compose"), {"action": "send", "body": "hi", "to": "+32475112233"}).content.decode()
    assert "This needs 1 credit and 0 are available" in page


def test_the_messages_tool_counts_one_part_and_one_credit_in_the_singular(client, belgian):
    Plan.objects.create(name="Standard", monthly_allowance=100, is_default=True)
    credits_grant(account=account_for(user=belgian), amount=5, reason="test", actor=None)
    form = {"action": "preview", "subject": "Hi", "body": "hi", "channel": ["sms"], "mobile": "+32475112233"}
    page = client.post(reverse("messages_compose"), form).content.decode()
    assert "(s)" not in page
    assert "1 part a recipient, 1 credit in all" in page, re.findall(r'data-testid="sms-cost">[^<]*', page)


def test_no_template_or_message_writes_plurals_with_parentheses():
    from django.conf import settings

    apps = ("accounts", "broadcasts", "core", "credits", "mailalerts", "messaging", "reminders", "smsoffice")
    templates = list(settings.BASE_DIR.glob("templates/**/*.html"))
    modules = [path for app in apps for path in settings.BASE_DIR.glob(f"{app}/**/*.py")]
    # "part(s)" in a text a person reads; ngettext or {% blocktranslate count %} instead.
    offenders = [str(path) for path in templates if re.search(r"[a-z]\(s\)", path.read_text())]
    offenders += [
        str(path) for path in modules if re.search(r"gettext(_lazy)?\(\s*[\"'][^\"']*[a-z]\(s\)", path.read_text())
    ]
    assert offenders == []


def checkbox_in_its_label(page: str, name: str, label: str) -> bool:
    pattern = rf'<label[^>]*>\s*<input type="checkbox" name="{name}"[^>]*>\s*{re.escape(label)}\s*</label>'
    return re.search(pattern, page) is not None


def test_checkboxes_sit_in_their_own_labels(client, belgian):
    assert checkbox_in_its_label(client.get(reverse("event_new")).content.decode(), "all_day", "All day")
    page = client.get(reverse("mailalerts_filter_new")).content.decode()
    assert checkbox_in_its_label(page, "has_attachment", "Has an attachment")
    assert checkbox_in_its_label(page, "stop", "Stop after this filter")


def test_a_field_error_is_tied_to_its_field(client, belgian):
    from reminders.services.calendars import calendar_create

    calendar = calendar_create(name="Work", owner=belgian, group=None)
    form = {"calendar": calendar.pk, "title": "", "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"}
    page = client.post(reverse("event_new"), {**form, "time_zone": "Europe/Brussels"}).content.decode()
    field = re.search(r'<input type="text" name="title"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_title_error"' in field
    error = re.search(r'<ul class="errorlist" id="id_title_error">.*?</ul>', page, re.DOTALL).group(0)
    assert "This field is required." in error
    # The error comes after its field, where the eye is after reading the field.
    assert page.index(field) < page.index(error)
