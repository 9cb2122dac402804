"""Organisations: one pool paid by every member's sends, per-member limits under the account lock."""

import pytest
from django.db.models import Sum

from accounts.models import Role
from accounts.services import (
    OrganisationError,
    membership_add,
    membership_limit_set,
    membership_remove,
    membership_role_set,
    organisation_create,
)
from credits.models import CreditAccount, EntryKind, Hold, LedgerEntry, MemberUsage, Plan
from credits.services import (
    InsufficientCredit,
    MemberLimitReached,
    account_for,
    credits_capture,
    credits_grant,
    credits_hold,
    credits_release,
    low_credit_threshold_set,
    personal_account_for,
    pool_for,
)
from messaging.services.accepting import message_send
from tests.credits.helpers import assert_ledger_consistent
from tests.factories import UserFactory
from tests.threads import run_together


@pytest.fixture
def no_plan(db):
    return Plan.objects.create(name="None", monthly_allowance=0, is_default=True)


@pytest.fixture
def team(no_plan):
    """An organisation (owner + one member) whose pool has 20 credits of provision."""
    owner, member = UserFactory(mobile="+32475000001"), UserFactory(mobile="+32475000002")
    organisation = organisation_create(name="Acme", owner=owner)
    membership_add(organisation=organisation, user=member)
    pool = pool_for(organisation=organisation)
    low_credit_threshold_set(account=pool, threshold=0)
    credits_grant(account=pool, amount=20, reason="pool", actor=None)
    return organisation, owner, member


def test_a_member_pays_from_the_pool_and_a_user_outside_pays_personally(team, user):
    organisation, owner, member = team
    personal = personal_account_for(user=member)
    credits_grant(account=personal, amount=7, reason="own", actor=None)
    message = message_send(user=member, body="Hello", to=["+32475123456"])
    pool = pool_for(organisation=organisation)
    assert account_for(user=member) == account_for(user=owner) == pool
    assert Hold.objects.get(reference=message.hold_reference).account == pool
    pool.refresh_from_db()
    personal.refresh_from_db()
    assert (pool.provision_balance, pool.provision_held, personal.provision_balance) == (19, 1, 7)
    # Every entry of the pool's send names the member who caused it.
    assert set(LedgerEntry.objects.filter(hold_reference=message.hold_reference).values_list("actor", flat=True)) == {
        member.pk
    }
    assert account_for(user=user).user == user


def test_leaving_moves_no_credit_and_earlier_holds_settle_on_the_pool(team):
    organisation, _owner, member = team
    pool = pool_for(organisation=organisation)
    hold = credits_hold(account=account_for(user=member), amount=3, reference="message:a", member=member)
    membership_remove(membership=member.membership)
    member.refresh_from_db()
    assert account_for(user=member).user == member
    credits_capture(hold=hold, amount=2, reference="recipient:a:1")
    credits_release(hold=hold, amount=1, reference="recipient:a:2")
    pool.refresh_from_db()
    assert (pool.provision_balance, pool.provision_held) == (18, 0)
    usage = MemberUsage.objects.get(account=pool, member=member)
    assert (usage.charged, usage.used) == (2, 2)
    assert_ledger_consistent(pool)


def test_a_member_limit_refuses_the_send_that_would_pass_it_and_holds_nothing(team):
    organisation, _owner, member = team
    membership_limit_set(organisation=organisation, user=member, limit=5)
    pool = account_for(user=member)
    credits_hold(account=pool, amount=4, reference="message:1", member=member)
    with pytest.raises(MemberLimitReached) as refused:
        credits_hold(account=pool, amount=2, reference="message:2", member=member)
    assert (refused.value.needed, refused.value.available, refused.value.limit, refused.value.used) == (2, 1, 5, 4)
    assert not Hold.objects.filter(reference="message:2").exists()
    # What comes back (a refused recipient) is room again under the limit.
    credits_release(hold=Hold.objects.get(reference="message:1"), amount=2, reference="recipient:1:1")
    credits_hold(account=pool, amount=3, reference="message:3", member=member)
    assert MemberUsage.objects.get(member=member).charged == 5
    assert_ledger_consistent(pool)


def test_the_limit_is_checked_per_member(team):
    organisation, owner, member = team
    membership_limit_set(organisation=organisation, user=member, limit=1)
    pool = account_for(user=member)
    credits_hold(account=pool, amount=10, reference="message:owner", member=owner)
    with pytest.raises(MemberLimitReached):
        credits_hold(account=pool, amount=2, reference="message:member", member=member)


@pytest.mark.parametrize("limit", [-1, 10**9, "5", True])
def test_absurd_limits_are_refused_and_nothing_is_written(team, limit):
    organisation, _owner, member = team
    with pytest.raises(OrganisationError, match="between 0 and"):
        membership_limit_set(organisation=organisation, user=member, limit=limit)
    member.membership.refresh_from_db()
    assert member.membership.monthly_limit is None


def test_a_limit_on_someone_outside_the_organisation_is_refused(team, user):
    organisation, _owner, _member = team
    with pytest.raises(OrganisationError, match="not a member of Acme"):
        membership_limit_set(organisation=organisation, user=user, limit=5)


def test_an_organisation_always_keeps_an_owner(team):
    _organisation, owner, member = team
    with pytest.raises(OrganisationError, match="at least one owner"):
        membership_role_set(membership=owner.membership, role=Role.MEMBER)
    with pytest.raises(OrganisationError, match="at least one owner"):
        membership_remove(membership=owner.membership)
    membership_role_set(membership=member.membership, role=Role.OWNER)
    membership_role_set(membership=owner.membership, role=Role.ADMIN)
    owner.membership.refresh_from_db()
    assert owner.membership.role == Role.ADMIN


def test_a_user_belongs_to_one_organisation_at_most(team):
    _organisation, _owner, member = team
    other = organisation_create(name="Other", owner=UserFactory())
    with pytest.raises(OrganisationError, match="already a member of Acme"):
        membership_add(organisation=other, user=member)


def test_the_pool_short_is_refused_as_today(team):
    organisation, owner, _member = team
    with pytest.raises(InsufficientCredit) as refused:
        credits_hold(account=pool_for(organisation=organisation), amount=21, reference="m", member=owner)
    assert not isinstance(refused.value, MemberLimitReached)
    assert (refused.value.needed, refused.value.available) == (21, 20)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_members_holding_32_times_at_once_against_a_pool_of_20_get_exactly_20(team):
    organisation, owner, member = team
    pool = pool_for(organisation=organisation)
    people = [owner, member]
    results = run_together(
        32, lambda i: credits_hold(account=pool, amount=1, reference=f"message:{i}", member=people[i % 2])
    )
    held = [r for r in results if isinstance(r, Hold)]
    refused = [r for r in results if isinstance(r, InsufficientCredit)]
    assert (len(held), len(refused)) == (20, 12), results
    assert MemberUsage.objects.aggregate(total=Sum("charged"))["total"] == 20
    assert_ledger_consistent(pool)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_member_with_a_limit_of_5_sending_10_at_once_gets_exactly_5(team):
    organisation, _owner, member = team
    membership_limit_set(organisation=organisation, user=member, limit=5)
    pool = pool_for(organisation=organisation)
    results = run_together(10, lambda i: credits_hold(account=pool, amount=1, reference=f"m:{i}", member=member))
    held = [r for r in results if isinstance(r, Hold)]
    refused = [r for r in results if isinstance(r, MemberLimitReached)]
    assert (len(held), len(refused)) == (5, 5), results
    assert MemberUsage.objects.get(member=member).charged == 5
    pool.refresh_from_db()
    assert pool.provision_held == 5
    assert_ledger_consistent(pool)


def test_pool_entries_name_their_member_and_the_account_names_its_organisation(team):
    organisation, owner, _member = team
    pool = pool_for(organisation=organisation)
    assert str(pool) == "credit of Acme"
    hold = credits_hold(account=pool, amount=2, reference="message:x", member=owner)
    # Holding again for the same send returns the first hold and charges nothing more.
    assert credits_hold(account=pool, amount=2, reference="message:x", member=owner) == hold
    assert MemberUsage.objects.get(member=owner).charged == 2
    credits_capture(hold=hold, amount=2, reference="recipient:x")
    kinds = dict(LedgerEntry.objects.filter(hold_reference="message:x").values_list("kind", "actor"))
    assert kinds == {EntryKind.HOLD: owner.pk, EntryKind.CAPTURE: owner.pk}
    assert CreditAccount.objects.filter(organisation=organisation).count() == 1


def test_batched_sends_of_reminders_and_alerts_pay_from_the_pool_under_the_members_limit(team):
    from messaging.services.accepting import BatchSend, message_send_batch

    organisation, _owner, member = team
    membership_limit_set(organisation=organisation, user=member, limit=2)
    sends = [BatchSend(key=str(i), user=member, to="+32475123456", body=f"Reminder {i}") for i in range(3)]
    results = message_send_batch(sends=sends)
    pool = pool_for(organisation=organisation)
    assert [Hold.objects.get(reference=results[k].hold_reference).account for k in "01"] == [pool, pool]
    assert "limit for you this month is 2" in results["2"]
    assert MemberUsage.objects.get(member=member).charged == 2


def test_the_low_credit_warning_of_a_pool_goes_to_its_owners_and_admins(team, django_capture_on_commit_callbacks):
    from django.core import mail

    from accounts.models import Role
    from accounts.services import membership_update

    organisation, owner, member = team
    admin = UserFactory(email="admin@acme.test")
    membership_add(organisation=organisation, user=admin, role=Role.ADMIN)
    membership_update(membership=member.membership, role=Role.MEMBER, limit=None)
    owner.email, member.email = "owner@acme.test", "member@acme.test"
    owner.save()
    member.save()
    pool = low_credit_threshold_set(account=pool_for(organisation=organisation), threshold=15)
    with django_capture_on_commit_callbacks(execute=True):
        credits_hold(account=pool, amount=6, reference="message:low", member=member)
    assert sorted(to for email in mail.outbox for to in email.to) == ["admin@acme.test", "owner@acme.test"]
    assert "Acme" in mail.outbox[0].subject
