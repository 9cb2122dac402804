"""The API answers for whoever pays: the organisation's pool and the member's limit, or the personal account."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import membership_add, membership_limit_set, organisation_create
from credits.models import Hold, Plan
from credits.services import credits_grant, low_credit_threshold_set, pool_for
from tests.factories import UserFactory


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def member(db):
    Plan.objects.create(name="Team", monthly_allowance=30, is_default=True)
    owner, member = UserFactory(), UserFactory()
    organisation = organisation_create(name="Acme", owner=owner)
    membership_add(organisation=organisation, user=member)
    membership_limit_set(organisation=organisation, user=member, limit=5)
    pool = pool_for(organisation=organisation)
    low_credit_threshold_set(account=pool, threshold=0)
    credits_grant(account=pool, amount=10, reason="pool", actor=None)
    return member


def test_credits_for_a_member_name_the_organisation_and_the_members_limit(member):
    api = api_for(member)
    sent = api.post(reverse("api_messages"), {"to": ["+32475123456", "+32475123457"], "body": "Hi"}, format="json")
    assert sent.status_code == 202, sent.content
    body = api.get(reverse("api_credits")).json()
    assert body["payer"] == {"kind": "organisation", "name": "Acme"}
    assert body["member"] == {"limit": 5, "used": 2, "remaining": 3}
    assert body["total_available"] == 38  # the pool: 30 monthly + 10 provision - 2 held


def test_a_send_past_the_members_limit_answers_402_and_holds_nothing(member):
    api = api_for(member)
    to = [f"+3247512345{i}" for i in range(6)]
    refused = api.post(reverse("api_messages"), {"to": to, "body": "Hi"}, format="json")
    assert refused.status_code == 402
    assert refused.json() | {"detail": ""} == {"detail": "", "needed": 6, "available": 5, "limit": "member"}
    assert "limit for you this month is 5" in refused.json()["detail"]
    assert not Hold.objects.exists()


def test_credits_for_a_user_outside_any_organisation_say_personal(member):
    body = api_for(UserFactory()).get(reverse("api_credits")).json()
    assert body["payer"] == {"kind": "personal"}
    assert body["member"] is None
