"""The Credit, Quotas and history pages, the API and the operators' commands."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token

from credits.models import CreditAccount, CreditPack, LedgerEntry, Plan, Purchase, PurchaseStatus
from credits.services import account_for, credits_capture, credits_grant, credits_hold
from tests.credits.helpers import assert_ledger_consistent
from tests.factories import UserFactory


@pytest.fixture
def account(user, db):
    Plan.objects.create(name="Standard", monthly_allowance=100, is_default=True)
    return account_for(user=user)


def test_quotas_page_shows_the_graph_and_the_figures(logged_in, account):
    hold = credits_hold(account=account, amount=30, reference="message:1")
    credits_capture(hold=hold, amount=20, reference="recipient:1:1")
    credits_grant(account=account, amount=7, reason="gift", actor=None)
    page = logged_in.get(reverse("quotas")).content.decode()
    assert "Monthly quota of 100: 20 used, 10 held, 70 remaining" in page  # the SVG's title
    assert '<rect class="seg-used" x="0.0" y="0" width="120.0"' in page  # 20 of 100 of 600 units
    assert "<dd><strong>77</strong> SMS</dd>" in page
    assert "Provision (never expires)</dt><dd>7</dd>" in page


def test_quotas_page_says_clearly_when_the_plan_has_no_sms(logged_in, user, db):
    Plan.objects.create(name="Mail only", monthly_allowance=0, is_default=True)
    response = logged_in.get(reverse("quotas"))
    assert "Your plan includes no monthly SMS" in response.content.decode()


def test_low_credit_threshold_is_set_on_the_quotas_page(logged_in, account):
    logged_in.post(reverse("quotas"), {"threshold": "150"})
    account.refresh_from_db()
    assert account.low_credit_threshold == 150
    response = logged_in.post(reverse("quotas"), {"threshold": "-3"})
    assert response.status_code == 400
    account.refresh_from_db()
    assert account.low_credit_threshold == 150


def test_low_credit_banner(logged_in, account):
    logged_in.post(reverse("quotas"), {"threshold": "150"})  # 100 < 150: under the threshold
    assert "Your SMS credit is low: 100 left." in logged_in.get(reverse("home")).content.decode()


def test_buying_a_pack_with_the_test_adapter_adds_provision(logged_in, account):
    pack = CreditPack.objects.create(name="Small", credits=100, price_cents=900)
    response = logged_in.post(reverse("credit"), {"pack": pack.pk}, follow=True)
    assert "100 SMS credits added." in response.content.decode()
    account.refresh_from_db()
    assert account.provision_balance == 100


def test_a_manual_purchase_is_shown_pending(logged_in, account, settings):
    settings.PAYMENT_ADAPTER = "credits.payments.ManualPaymentAdapter"
    pack = CreditPack.objects.create(name="Small", credits=100, price_cents=900)
    page = logged_in.post(reverse("credit"), {"pack": pack.pk}, follow=True).content.decode()
    assert "added once an administrator approves it" in page
    assert "waiting for approval" in page
    account.refresh_from_db()
    assert account.provision_balance == 0


@pytest.mark.parametrize("pack", ["", "abc", "999999", "-1"])
def test_unknown_packs_are_refused(logged_in, account, pack):
    response = logged_in.post(reverse("credit"), {"pack": pack})
    assert response.status_code == 400
    assert not Purchase.objects.exists()


def test_a_pack_withdrawn_from_sale_cannot_be_bought(logged_in, account):
    pack = CreditPack.objects.create(name="Old", credits=10, price_cents=100, active=False)
    assert logged_in.post(reverse("credit"), {"pack": pack.pk}).status_code == 400


def test_nobody_sees_another_users_credit(client, account):
    stranger = UserFactory()
    client.force_login(stranger)
    page = client.get(reverse("ledger")).content.decode()
    assert "message:" not in page
    assert CreditAccount.objects.get(user=stranger).pk != account.pk


def test_api_answers_the_credit_with_a_token(client, user, account):
    hold = credits_hold(account=account, amount=5, reference="message:1")
    credits_capture(hold=hold, amount=2, reference="recipient:1:1")
    token = Token.objects.create(user=user)
    response = client.get(reverse("api_credits"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json() == {
        "payer": {"kind": "personal"},
        "member": None,
        "monthly": {
            "allowance": 100,
            "used": 2,
            "held": 3,
            "remaining": 95,
            "period_start": account.period_start.isoformat(),
            "period_end": (account.period_end - dt.timedelta(days=1)).isoformat(),  # last day, inclusive
        },
        "provision": {"balance": 0, "held": 0},
        "total_available": 95,
    }


def test_api_refuses_without_a_valid_token(client, db):
    assert client.get(reverse("api_credits")).status_code == 401
    assert client.get(reverse("api_credits"), HTTP_AUTHORIZATION="Token nope").status_code == 401


def test_api_settings_show_and_regenerate_the_token(logged_in, user):
    logged_in.post(reverse("api_settings"))
    first = Token.objects.get(user=user).key
    assert first in logged_in.get(reverse("api_settings")).content.decode()
    logged_in.post(reverse("api_settings"))
    assert Token.objects.get(user=user).key != first


def test_the_schema_documents_the_credits_endpoint(logged_in):
    schema = logged_in.get(reverse("api_schema")).content.decode()
    assert "/api/v1/credits/" in schema and "total_available" in schema
    assert logged_in.get(reverse("api_docs")).status_code == 200


def test_credits_grant_command(account, user, capsys):
    call_command("credits_grant", user.username, "25", "--reason", "support ticket 12")
    assert "provision 25" in capsys.readouterr().out
    entry = LedgerEntry.objects.get(account=account, kind="admin_grant")
    assert entry.reason == "support ticket 12 (command line)"
    with pytest.raises(CommandError, match="the provision balance is 25"):
        call_command("credits_grant", user.username, "-26", "--reason", "too much")
    with pytest.raises(CommandError, match="No user named"):
        call_command("credits_grant", "ghost", "5", "--reason", "x")
    assert_ledger_consistent(account)


def test_credits_rollover_command_is_idempotent(account, capsys):
    CreditAccount.objects.filter(pk=account.pk).update(next_rollover_at=account.next_rollover_at.replace(year=2020))
    call_command("credits_rollover")
    call_command("credits_rollover")
    out = capsys.readouterr().out
    assert "1 accounts rolled over." in out and "0 accounts rolled over." in out
    assert_ledger_consistent(account)


def test_admin_grants_credit_and_approves_purchases(client, account, user, settings):
    settings.PAYMENT_ADAPTER = "credits.payments.ManualPaymentAdapter"
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:credits_creditaccount_grant", args=[account.pk]), {"amount": "40", "reason": "goodwill"}
    )
    assert response.status_code == 302
    bad = client.post(
        reverse("admin:credits_creditaccount_grant", args=[account.pk]), {"amount": "-100", "reason": "x"}
    )
    assert bad.status_code == 400 and "the provision balance is 40" in bad.content.decode()
    entry = LedgerEntry.objects.get(account=account, kind="admin_grant")
    assert (entry.actor, entry.reason) == (admin, "goodwill")

    from credits.services import purchase_create

    purchase = purchase_create(user=user, pack=CreditPack.objects.create(name="S", credits=10, price_cents=100))
    changelist = reverse("admin:credits_purchase_changelist")
    client.post(changelist, {"action": "approve", "_selected_action": [purchase.pk]})
    client.post(changelist, {"action": "approve", "_selected_action": [purchase.pk]})  # twice: no double credit
    purchase.refresh_from_db()
    account.refresh_from_db()
    assert purchase.status == PurchaseStatus.APPROVED and account.provision_balance == 50
    assert client.get(reverse("admin:credits_ledgerentry_changelist")).status_code == 200
    assert client.get(reverse("admin:credits_creditaccount_change", args=[account.pk])).status_code == 200


def test_the_ledger_cannot_be_edited_or_deleted_in_the_admin(client, account):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    entry = LedgerEntry.objects.filter(account=account).first()
    client.post(reverse("admin:credits_ledgerentry_change", args=[entry.pk]), {"available_delta": "999"})
    assert client.post(reverse("admin:credits_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.available_delta == 100


def test_admin_assigns_a_plan_that_applies_from_the_next_period(client, account):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    big = Plan.objects.create(name="Big", monthly_allowance=1000)
    response = client.post(reverse("admin:credits_creditaccount_change", args=[account.pk]), {"plan": big.pk})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.plan, account.monthly_remaining) == (big, 100)


def test_a_non_numeric_threshold_is_refused(logged_in, account):
    response = logged_in.post(reverse("quotas"), {"threshold": "ten"})
    assert response.status_code == 400
    assert "Enter a whole number" in response.content.decode()


# Issue 17, item 8: the Quotas graph shows both kinds of credit, readably, in every language.


def test_quotas_graph_shows_provision_a_value_axis_and_month_names(logged_in, user, account):
    import re

    from django.utils import timezone

    credits_grant(account=account, amount=7, reason="gift", actor=None)
    page = logged_in.get(reverse("quotas")).content.decode()
    assert re.search(r'<rect class="seg-provision"[^>]*width="[\d.]+"', page)  # provision beside the quota
    assert 'data-testid="value-axis"' in page
    assert account.period_start.strftime("%b %Y") in page  # "Dec 2026", not "Dec 26"
    lost_on = account.period_end
    assert f"Unused quota is lost on {lost_on.day} {lost_on.strftime('%b %Y')}" in page
    assert timezone.localdate()  # the page answered in the user's zone


def test_quotas_graph_has_no_month_before_the_user_existed(logged_in, user, account):
    page = logged_in.get(reverse("quotas")).content.decode()
    assert page.count('class="month"') == 1  # joined this period: one bar, not twelve


@pytest.mark.parametrize("language", ["fr", "nl", "de"])
def test_numbers_inside_the_svg_are_never_localised(logged_in, user, account, language):
    import re

    user.language = language
    user.save()
    hold = credits_hold(account=account, amount=30, reference="message:1")
    credits_capture(hold=hold, amount=20, reference="recipient:1:1")
    page = logged_in.get(reverse("quotas")).content.decode()
    assert 'width="120.0"' in page
    assert not re.search(r'(?:x|y|width|height|x1|x2|y1|y2)="-?\d+,\d+"', page)
