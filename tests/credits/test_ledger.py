"""Hold, capture, release, grant, purchase and rollover: the credit rules people rely on."""

import datetime as dt

import pytest
from django.core import mail

from credits.models import CreditPack, EntryKind, Hold, LedgerEntry, MonthlyUsage, Plan, PurchaseStatus
from credits.services import (
    CreditError,
    InsufficientCredit,
    PurchaseAlreadyDecided,
    account_for,
    account_plan_assign,
    credits_capture,
    credits_grant,
    credits_hold,
    credits_release,
    low_credit_threshold_set,
    period_rollover,
    purchase_approve,
    purchase_create,
)
from tests.credits.helpers import assert_ledger_consistent, at
from tests.factories import UserFactory

JAN = at(2026, 1, 20)


def test_a_new_account_gets_the_default_plans_allowance(account):
    assert (account.monthly_allowance, account.monthly_remaining, account.provision_balance) == (20, 20, 0)
    assert (account.period_start, account.period_end) == (dt.date(2026, 1, 15), dt.date(2026, 2, 15))
    # Local midnight in Brussels (UTC+1 in winter).
    assert account.next_rollover_at == dt.datetime(2026, 2, 14, 23, tzinfo=dt.UTC)
    assert LedgerEntry.objects.get(account=account).kind == EntryKind.GRANT
    assert_ledger_consistent(account)


def test_hold_takes_the_monthly_quota_first_then_provision(funded):
    hold = credits_hold(account=funded, amount=25, reference="message:1", now=JAN)
    assert (hold.monthly_amount, hold.provision_amount) == (20, 5)
    funded.refresh_from_db()
    assert (funded.monthly_remaining, funded.monthly_held, funded.provision_balance, funded.provision_held) == (
        0,
        20,
        5,
        5,
    )
    assert_ledger_consistent(funded)


def test_a_hold_larger_than_the_credit_is_refused_whole(funded):
    before = LedgerEntry.objects.count()
    with pytest.raises(InsufficientCredit) as error:
        credits_hold(account=funded, amount=31, reference="message:1", now=JAN)
    assert (error.value.needed, error.value.available) == (31, 30)
    assert "needs 31 credits and 30 are available" in str(error.value)
    funded.refresh_from_db()
    assert (funded.monthly_remaining, funded.provision_balance, funded.monthly_held) == (20, 10, 0)
    assert LedgerEntry.objects.count() == before and not Hold.objects.exists()


@pytest.mark.parametrize("amount", [0, -5, 2.5, "3", True, None])
def test_absurd_amounts_are_refused(funded, amount):
    with pytest.raises(CreditError):
        credits_hold(account=funded, amount=amount, reference="message:1", now=JAN)
    assert not Hold.objects.exists()


def test_capture_spends_monthly_first_and_release_returns_provision_first(funded):
    hold = credits_hold(account=funded, amount=25, reference="message:1", now=JAN)  # 20 monthly + 5 provision
    credits_release(hold=hold, amount=5, reference="recipient:1:1", now=JAN)
    credits_capture(hold=hold, amount=20, reference="recipient:1:2", now=JAN)
    funded.refresh_from_db()
    # Finally spent: 20, all from the monthly quota; provision is whole again.
    assert (funded.monthly_remaining, funded.monthly_used, funded.provision_balance) == (0, 20, 10)
    assert (funded.monthly_held, funded.provision_held) == (0, 0)
    usage = MonthlyUsage.objects.get(account=funded)
    assert (usage.monthly_used, usage.provision_used) == (20, 0)
    assert_ledger_consistent(funded)


def test_a_repeated_capture_or_release_changes_nothing(funded):
    hold = credits_hold(account=funded, amount=4, reference="message:1", now=JAN)
    assert credits_capture(hold=hold, amount=1, reference="recipient:1:1", now=JAN) is True
    assert credits_capture(hold=hold, amount=1, reference="recipient:1:1", now=JAN) is False
    assert credits_release(hold=hold, amount=1, reference="recipient:1:2", now=JAN) is True
    assert credits_release(hold=hold, amount=1, reference="recipient:1:2", now=JAN) is False
    hold.refresh_from_db()
    assert hold.open == 2
    assert credits_hold(account=funded, amount=4, reference="message:1", now=JAN).pk == hold.pk
    assert_ledger_consistent(funded)


def test_capturing_more_than_the_hold_holds_is_refused(funded):
    hold = credits_hold(account=funded, amount=2, reference="message:1", now=JAN)
    with pytest.raises(CreditError, match="has 2 credits left, not 3"):
        credits_capture(hold=hold, amount=3, reference="recipient:1:1", now=JAN)


def test_monthly_share_released_after_its_period_expires(funded):
    hold = credits_hold(account=funded, amount=22, reference="message:1", now=JAN)  # 20 monthly + 2 provision
    march = at(2026, 2, 20)  # the next period (15 Feb - 15 Mar) has started
    credits_release(hold=hold, amount=22, reference="message:1:cancel", now=march)
    funded.refresh_from_db()
    assert funded.period_start == dt.date(2026, 2, 15)
    # Provision came back; the January monthly share expired instead of adding to February's 20.
    assert (funded.monthly_remaining, funded.monthly_held, funded.provision_balance) == (20, 0, 10)
    late = LedgerEntry.objects.get(reference="message:1:cancel", bucket="monthly")
    assert (late.kind, late.held_delta, late.available_delta) == (EntryKind.EXPIRY, -20, 0)
    assert_ledger_consistent(funded)


def test_capture_after_rollover_counts_in_the_holds_own_month(funded):
    hold = credits_hold(account=funded, amount=3, reference="message:1", now=JAN)
    credits_capture(hold=hold, amount=3, reference="recipient:1:1", now=at(2026, 2, 20))
    funded.refresh_from_db()
    assert funded.monthly_used == 0  # February's allowance is untouched
    assert MonthlyUsage.objects.get(account=funded, period_start=dt.date(2026, 1, 15)).monthly_used == 3


def test_rollover_expires_the_unused_allowance_and_grants_the_next(funded):
    credits_hold(account=funded, amount=5, reference="message:1", now=JAN)
    assert period_rollover(account=funded, now=at(2026, 2, 16)) == 1
    assert period_rollover(account=funded, now=at(2026, 2, 16)) == 0  # idempotent
    funded.refresh_from_db()
    assert (funded.period_start, funded.monthly_remaining, funded.provision_balance) == (dt.date(2026, 2, 15), 20, 10)
    expiry = LedgerEntry.objects.get(account=funded, kind=EntryKind.EXPIRY)
    assert expiry.available_delta == -15
    assert_ledger_consistent(funded)


def test_months_without_activity_are_each_rolled_over_and_provision_never_expires(funded):
    assert period_rollover(account=funded, now=at(2026, 5, 1)) == 3  # Feb, Mar and Apr periods started
    funded.refresh_from_db()
    assert (funded.period_start, funded.period_end) == (dt.date(2026, 4, 15), dt.date(2026, 5, 15))
    assert (funded.monthly_remaining, funded.provision_balance) == (20, 10)
    assert LedgerEntry.objects.filter(account=funded, kind=EntryKind.EXPIRY).count() == 3
    assert_ledger_consistent(funded)


def test_a_period_anchored_on_the_31st_follows_short_months(plan):
    user = UserFactory(time_zone="UTC")
    account = account_for(user=user, now=at(2027, 1, 31))
    starts = []
    for month, day in [(2, 28), (3, 31), (4, 30), (5, 31)]:
        period_rollover(account=account, now=at(2027, month, day, 0))
        account.refresh_from_db()
        starts.append(account.period_start)
    assert starts == [dt.date(2027, 2, 28), dt.date(2027, 3, 31), dt.date(2027, 4, 30), dt.date(2027, 5, 31)]


def test_a_plan_with_no_sms_grants_nothing_and_a_send_is_refused_clearly(db):
    Plan.objects.create(name="Mail only", monthly_allowance=0, is_default=True)
    account = account_for(user=UserFactory(), now=JAN)
    assert account.monthly_allowance == 0
    assert not LedgerEntry.objects.filter(account=account).exists()
    with pytest.raises(InsufficientCredit) as error:
        credits_hold(account=account, amount=1, reference="message:1", now=JAN)
    assert (error.value.needed, error.value.available) == (1, 0)


def test_a_new_plan_applies_from_the_next_period(account):
    account_plan_assign(account=account, plan=Plan.objects.create(name="Big", monthly_allowance=500))
    account.refresh_from_db()
    assert account.monthly_remaining == 20
    period_rollover(account=account, now=at(2026, 2, 16))
    account.refresh_from_db()
    assert account.monthly_remaining == 500


def test_administrators_grant_and_remove_provision_with_a_reason(account, user):
    admin = UserFactory(is_staff=True)
    credits_grant(account=account, amount=50, reason="goodwill", actor=admin)
    credits_grant(account=account, amount=-20, reason="correction", actor=admin)
    account.refresh_from_db()
    assert account.provision_balance == 30
    removal = LedgerEntry.objects.get(account=account, kind=EntryKind.ADMIN_REMOVAL)
    assert (removal.actor, removal.reason, removal.available_delta) == (admin, "correction", -20)
    assert_ledger_consistent(account)


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        (-31, "too much", "the provision balance is 30"),
        (0, "nothing", "other than 0"),
        (10**9, "absurd", "At most 1000000"),
        (5, "  ", "Say why"),
        ("5", "text", "whole number"),
    ],
)
def test_bad_grants_are_refused_and_change_nothing(account, amount, reason, message):
    credits_grant(account=account, amount=30, reason="start", actor=None)
    with pytest.raises(CreditError, match=message):
        credits_grant(account=account, amount=amount, reason=reason, actor=None)
    account.refresh_from_db()
    assert account.provision_balance == 30


def test_a_non_staff_user_cannot_grant(account, user):
    with pytest.raises(CreditError, match="Only administrators"):
        credits_grant(account=account, amount=5, reason="me", actor=user)


def test_a_purchase_adds_provision_once(account, user, settings):
    settings.PAYMENT_ADAPTER = "credits.payments.ManualPaymentAdapter"
    pack = CreditPack.objects.create(name="Hundred", credits=100, price_cents=900)
    purchase = purchase_create(user=user, pack=pack)
    assert purchase.status == PurchaseStatus.PENDING
    account.refresh_from_db()
    assert account.provision_balance == 0
    admin = UserFactory(is_staff=True)
    purchase_approve(purchase=purchase, actor=admin)
    with pytest.raises(PurchaseAlreadyDecided):
        purchase_approve(purchase=purchase, actor=admin)
    account.refresh_from_db()
    assert account.provision_balance == 100
    assert_ledger_consistent(account)


def test_the_test_adapter_approves_or_fails_at_once(account, user, settings):
    pack = CreditPack.objects.create(name="Ten", credits=10, price_cents=100)
    assert purchase_create(user=user, pack=pack).status == PurchaseStatus.APPROVED
    settings.TEST_PAYMENT_OUTCOME = "failed"
    failed = purchase_create(user=user, pack=pack)
    assert (failed.status, failed.note) == (PurchaseStatus.FAILED, "card declined (test adapter)")
    account.refresh_from_db()
    assert account.provision_balance == 10


def test_a_pack_no_longer_on_sale_cannot_be_bought(account, user):
    pack = CreditPack.objects.create(name="Old", credits=10, price_cents=100, active=False)
    with pytest.raises(CreditError, match="not on sale"):
        purchase_create(user=user, pack=pack)


def test_low_credit_sends_one_email_not_one_per_sms(account, user, django_capture_on_commit_callbacks):
    low_credit_threshold_set(account=account, threshold=15)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(8):  # 20 -> 12: crosses 15 once
            credits_hold(account=account, amount=1, reference=f"message:{number}", now=JAN)
    assert len(mail.outbox) == 1
    assert "12 SMS credits left" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        credits_grant(account=account, amount=10, reason="top-up", actor=None)  # back above: the flag clears
        credits_hold(account=account, amount=10, reference="message:big", now=JAN)  # under again: a new email
    assert len(mail.outbox) == 2
