"""Every credit amount is bounded by CREDIT_MAX_GRANT where it enters: a clear error, never a 500."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from credits.models import CreditAccount, CreditPack, LedgerEntry, Plan, Purchase, PurchaseStatus
from credits.services import account_for, credits_grant
from messaging.models import SendingLimits
from tests.credits.helpers import assert_ledger_consistent
from tests.factories import UserFactory

HUGE = "2147483647"  # the largest PostgreSQL integer


@pytest.fixture
def account(user, db):
    Plan.objects.create(name="Standard", monthly_allowance=100, is_default=True)
    return credits_grant(account=account_for(user=user), amount=10, reason="some provision", actor=None)


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_cannot_make_a_pack_or_plan_over_the_bound(admin_client, account):
    response = admin_client.post(
        reverse("admin:credits_creditpack_add"),
        {"name": "Huge", "credits": HUGE, "price_cents": "100", "currency": "EUR", "active": "on"},
    )
    assert response.status_code == 200 and "at most 1000000" in response.content.decode()
    response = admin_client.post(reverse("admin:credits_plan_add"), {"name": "Huge", "monthly_allowance": HUGE})
    assert response.status_code == 200 and "at most 1000000" in response.content.decode()
    assert not CreditPack.objects.exists() and Plan.objects.count() == 1


def test_approving_a_purchase_over_the_bound_is_refused_not_a_500(admin_client, account, settings):
    settings.PAYMENT_ADAPTER = "credits.payments.ManualPaymentAdapter"
    # A pack made before the bound existed (or straight in the database), bought and pending.
    pack = CreditPack.objects.create(name="Huge", credits=int(HUGE), price_cents=100)
    purchase = Purchase.objects.create(
        account=account, pack=pack, credits=pack.credits, price_cents=100, currency="EUR", adapter="manual"
    )
    changelist = reverse("admin:credits_purchase_changelist")
    response = admin_client.post(changelist, {"action": "approve", "_selected_action": [purchase.pk]}, follow=True)
    assert response.status_code == 200
    assert "At most 1000000 credits at once" in response.content.decode()
    purchase.refresh_from_db()
    account.refresh_from_db()
    assert purchase.status == PurchaseStatus.PENDING and account.provision_balance == 10
    assert_ledger_consistent(account)


def test_buying_a_pack_over_the_bound_is_refused(logged_in, account):
    pack = CreditPack.objects.create(name="Huge", credits=int(HUGE), price_cents=100)
    response = logged_in.post(reverse("credit"), {"pack": pack.pk})
    assert response.status_code == 400 and "At most 1000000 credits at once" in response.content.decode()
    assert not Purchase.objects.exists()


def test_a_grant_that_would_overflow_the_balance_is_refused(admin_client, account):
    # Many grants within the bound could still add up past what the column holds.
    CreditAccount.objects.filter(pk=account.pk).update(provision_balance=2_147_000_000)
    LedgerEntry.objects.create(
        account=account,
        kind="admin_grant",
        bucket="provision",
        available_delta=2_147_000_000 - 10,
        available_after=2_147_000_000,
        held_after=0,
        reference="test:many-grants",
    )
    url = reverse("admin:credits_creditaccount_grant", args=[account.pk])
    response = admin_client.post(url, {"amount": "1000000", "reason": "more"})
    assert response.status_code == 400 and "the provision balance would be over" in response.content.decode()
    with pytest.raises(CommandError, match="the provision balance would be over"):
        call_command("credits_grant", account.user.username, "1000000", "--reason", "more")
    with pytest.raises(CommandError, match="At most 1000000 credits at once"):
        call_command("credits_grant", account.user.username, HUGE, "--reason", "more")
    assert_ledger_consistent(account)


def test_the_bound_follows_the_setting_in_every_form(logged_in, admin_client, account, user, settings):
    settings.CREDIT_MAX_GRANT = 500
    response = logged_in.post(reverse("quotas"), {"threshold": "600"})
    assert response.status_code == 400 and "less than or equal to 500" in response.content.decode()
    admin_client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:credits_creditaccount_grant", args=[account.pk])
    response = admin_client.post(url, {"amount": "600", "reason": "more"})
    assert response.status_code == 400 and "less than or equal to 500" in response.content.decode()


def test_per_user_sending_limits_are_bounded_in_the_admin(admin_client, user):
    response = admin_client.post(
        reverse("admin:messaging_sendinglimits_add"),
        {"user": user.pk, "max_sms_per_day": HUGE, "max_emails_per_day": HUGE, "allowed_countries": ""},
    )
    assert response.status_code == 200 and "at most 1000000" in response.content.decode()
    assert not SendingLimits.objects.exists()
