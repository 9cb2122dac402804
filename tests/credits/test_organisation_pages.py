"""The organisation's Quotas, Credit and history pages: the pool, use per member, who may buy."""

import pytest
from django.urls import reverse

from accounts.services import membership_add, membership_limit_set, organisation_create
from credits.models import CreditPack, Plan, Purchase
from credits.services import credits_capture, credits_grant, credits_hold, low_credit_threshold_set, pool_for
from messaging.services.accepting import message_send
from tests.factories import UserFactory


@pytest.fixture
def acme(db):
    Plan.objects.create(name="Team", monthly_allowance=100, is_default=True)
    owner = UserFactory(full_name="Olga Owner")
    member = UserFactory(full_name="Max Member")
    organisation = organisation_create(name="Acme", owner=owner)
    membership_add(organisation=organisation, user=member)
    membership_limit_set(organisation=organisation, user=member, limit=50)
    pool = pool_for(organisation=organisation)
    low_credit_threshold_set(account=pool, threshold=0)
    credits_grant(account=pool, amount=7, reason="pool", actor=None)
    hold = credits_hold(account=pool, amount=40, reference="message:999", member=member)
    credits_capture(hold=hold, amount=30, reference="recipient:999:1")
    credits_hold(account=pool, amount=3, reference="message:998", member=owner)
    return organisation, owner, member


def test_the_owner_sees_the_pool_and_the_use_of_each_member(acme, client):
    _organisation, owner, _member = acme
    client.force_login(owner)
    page = client.get(reverse("quotas")).content.decode()
    assert "shared credit of <strong>Acme</strong>" in page
    assert "<dd>30</dd>" in page  # the pool's monthly quota used
    table = page[page.index('data-testid="member-usage-table"') :]
    assert "<td>Max Member</td><td>member</td><td>40</td><td>50</td>" in table
    assert "<td>Olga Owner</td><td>owner</td><td>3</td><td>none</td>" in table
    assert 'name="threshold"' in page


def test_a_member_sees_the_pool_and_their_limit_but_not_the_others_use(acme, client):
    _organisation, _owner, member = acme
    client.force_login(member)
    page = client.get(reverse("quotas")).content.decode()
    assert "Your organisation's limit for you this month: 40 of 50 used" in page
    assert "member-usage-table" not in page and "Olga Owner" not in page
    assert 'name="threshold"' not in page
    assert client.post(reverse("quotas"), {"threshold": "0"}).status_code == 403


def test_owners_buy_for_the_pool_and_members_cannot(acme, client, settings):
    organisation, owner, member = acme
    pack = CreditPack.objects.create(name="Small", credits=100, price_cents=500)
    client.force_login(member)
    page = client.get(reverse("credit")).content.decode()
    assert "owners and admins buy credit" in page and 'name="pack"' not in page
    assert client.post(reverse("credit"), {"pack": pack.pk}).status_code == 403
    assert not Purchase.objects.exists()
    client.force_login(owner)
    client.post(reverse("credit"), {"pack": pack.pk})
    assert Purchase.objects.get().account == pool_for(organisation=organisation)


def test_the_pools_history_names_who_sent_and_hides_what_others_sent(acme, client):
    _organisation, owner, member = acme
    message = message_send(user=member, body="Hello", to=["+32475123456"])
    client.force_login(owner)
    page = client.get(reverse("ledger")).content.decode()
    history = page[page.index('data-testid="history"') :]
    assert history.count("sent by Max Member") == 2 and history.count("sent by Olga Owner") == 1
    assert reverse("sms_detail", args=[message.pk]) not in history and "475 12 34 56" not in history
    client.force_login(member)
    own = client.get(reverse("ledger")).content.decode()
    assert reverse("sms_detail", args=[message.pk]) in own


def test_the_composer_says_the_members_limit_and_refuses_past_it(acme, client):
    _organisation, _owner, member = acme
    client.force_login(member)
    counter = client.post(
        reverse("sms_counter"), {"body": "Hi", "to": ["+32475123456"], "with_signature": "", "action": "count"}
    ).content.decode()
    assert "Your organisation's limit for you this month: 40 of 50 used" in counter
    to = [f"+3247512{i:04d}" for i in range(11)]
    data = {"body": "Hi", "to": to, "with_signature": "", "idempotency_key": "k", "action": "send"}
    counter = client.post(reverse("sms_counter"), data | {"action": "count"}).content.decode()
    assert 'data-testid="member-short"' in counter
    refused = client.post(reverse("sms_compose"), data)
    assert refused.status_code == 402
    assert "limit for you this month is 50 and 40 are used" in refused.content.decode()
