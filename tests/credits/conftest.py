import pytest

from credits.models import Plan
from credits.services import account_for, credits_grant
from tests.credits.helpers import at


@pytest.fixture
def plan(db):
    return Plan.objects.create(name="Standard", monthly_allowance=20, is_default=True)


@pytest.fixture
def account(user, plan):
    """20 monthly credits from 2026-01-15 (periods start on the 15th), no provision."""
    return account_for(user=user, now=at(2026, 1, 15))


@pytest.fixture
def funded(account):
    """20 monthly credits and 10 of provision."""
    return credits_grant(account=account, amount=10, reason="test funds", actor=None)
