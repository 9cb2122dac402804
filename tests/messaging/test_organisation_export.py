"""Owners and admins download the organisation's SMS of a period as CSV, safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.services import membership_add, organisation_create
from credits.models import Hold, Plan
from credits.services import credits_grant, credits_settle, low_credit_threshold_set, pool_for
from messaging.services.accepting import message_send
from tests.factories import UserFactory


@pytest.fixture
def acme(db):
    Plan.objects.create(name="Team", monthly_allowance=100, is_default=True)
    owner = UserFactory(full_name="Olga Owner")
    member = UserFactory(full_name='=HYPERLINK("http://evil")')
    organisation = organisation_create(name="Acme", owner=owner)
    membership_add(organisation=organisation, user=member)
    low_credit_threshold_set(account=pool_for(organisation=organisation), threshold=0)
    return organisation, owner, member


def rows(response) -> list[list[str]]:
    # utf-8-sig: the export starts with a BOM so that spreadsheets read it as UTF-8.
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_owner_exports_each_send_with_its_member_parts_and_credits(acme, client):
    _organisation, owner, member = acme
    message = message_send(user=member, body="x" * 200, to=["+32475123456", "+32475123457", "+32475123458"])
    hold = Hold.objects.get(reference=message.hold_reference)
    credits_settle(hold=hold, capture=4, release=2, reference="chunk:1")
    own = message_send(user=owner, body="Hi", to=["+32475123456"])
    client.force_login(owner)
    response = client.get(reverse("organisation_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.streaming
    header, first, second = rows(response)
    assert header == ["date", "member", "message id", "recipients", "parts", "credits captured", "credits released"]
    assert first[1:] == ['\'=HYPERLINK("http://evil")', str(message.pk), "3", "2", "4", "2"]
    assert second[1:] == ["Olga Owner", str(own.pk), "1", "1", "0", "0"]


def test_members_cannot_export_and_a_bad_period_is_a_400(acme, client):
    _organisation, owner, member = acme
    client.force_login(member)
    assert client.get(reverse("organisation_export")).status_code == 403
    client.force_login(owner)
    refused = client.get(reverse("organisation_export"), {"period": "1999-01-01"})
    assert refused.status_code == 400 and "YYYY-MM-DD" in refused.content.decode()
    assert client.get(reverse("organisation_export"), {"period": "not a date"}).status_code == 400
    client.force_login(UserFactory())
    assert client.get(reverse("organisation_export")).status_code == 403


def test_the_export_reads_a_chunk_at_a_time(acme, client, django_assert_max_num_queries, monkeypatch):
    from messaging import export

    organisation, owner, _member = acme
    credits_grant(account=pool_for(organisation=organisation), amount=50, reason="x", actor=None)
    for _ in range(9):
        message_send(user=owner, body="Hi", to=["+32475123456"])
    monkeypatch.setattr(export, "CHUNK", 4)
    client.force_login(owner)
    response = client.get(reverse("organisation_export"))
    # 3 chunks of 3 queries and one empty read, whatever the rows: never a query per row.
    with django_assert_max_num_queries(10):
        assert len(rows(response)) == 10
