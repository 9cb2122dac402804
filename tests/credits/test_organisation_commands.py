"""Operators create organisations, add members and grant to pools from the command line."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, Organisation, Role
from credits.models import Plan
from credits.services import account_for, pool_for
from tests.factories import UserFactory


@pytest.fixture
def plans(db):
    Plan.objects.create(name="Free", monthly_allowance=5, is_default=True)
    return Plan.objects.create(name="Team", monthly_allowance=500)


def test_organisation_create_add_member_and_grant(plans, capsys):
    owner, member = UserFactory(username="olga"), UserFactory(username="max")
    call_command("organisation_create", "Acme", "--owner", "olga", "--plan", "Team")
    call_command("organisation_add_member", "Acme", "max", "--role", "admin", "--limit", "40")
    call_command("credits_grant", "--organisation", "Acme", "50", "--reason", "invoice 7")
    organisation = Organisation.objects.get(name="Acme")
    pool = pool_for(organisation=organisation)
    assert (pool.plan, pool.monthly_remaining, pool.provision_balance) == (plans, 500, 50)
    assert account_for(user=member) == account_for(user=owner) == pool
    assert Membership.objects.get(user=member).role == Role.ADMIN
    assert Membership.objects.get(user=member).monthly_limit == 40
    assert organisation.group in member.groups.all()
    assert "Acme: monthly 500" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["organisation_create", "Acme", "--owner", "ghost"], "No user named 'ghost'"),
        (["organisation_create", "Acme", "--owner", "olga", "--plan", "Gold"], "No plan named 'Gold'"),
        (["organisation_add_member", "Nowhere", "max"], "No organisation named 'Nowhere'"),
        (["organisation_add_member", "Acme", "max", "--limit", "-3"], "between 0 and"),
        (["organisation_add_member", "Acme", "max", "--limit", "1000000000"], "between 0 and"),
        (["organisation_add_member", "Acme", "olga"], "already a member of Acme"),
        (["credits_grant", "--organisation", "Nowhere", "5", "--reason", "x"], "No organisation named"),
        (["credits_grant", "max", "5", "--organisation", "Acme", "--reason", "x"], "not both"),
    ],
)
def test_bad_commands_are_refused_with_the_reason_and_write_nothing(plans, command, message):
    UserFactory(username="olga")
    UserFactory(username="max")
    if command[1] != "Acme" or command[0] != "organisation_create":
        call_command("organisation_create", "Acme", "--owner", "olga")
    before = Membership.objects.count(), Organisation.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command(*command)
    assert (Membership.objects.count(), Organisation.objects.count()) == before
