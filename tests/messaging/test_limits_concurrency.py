"""Per-user daily limits under concurrent requests, on PostgreSQL with real threads.

The limits are checked under the credit account's row lock (the one that makes the
hold), so concurrent sends of one user queue there and each counts what the earlier
ones committed.
"""

import pytest

from credits.models import Plan
from credits.services import account_for, credits_grant, low_credit_threshold_set
from messaging.models import Message, Recipient, SendingLimits
from messaging.services import accepting
from messaging.services.accepting import message_send
from messaging.services.planning import SendRefused
from tests.factories import UserFactory
from tests.threads import run_together

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def limited_user(db, monkeypatch):
    """Credit for 100 SMS, a limit of 10 SMS a day, and no dispatch (only acceptance is raced)."""
    Plan.objects.create(name="None", monthly_allowance=0, is_default=True)
    user = UserFactory(full_name="Ann Peeters")
    account = account_for(user=user)
    # No low-credit email: eager tasks from several threads at once upset Celery's global state.
    low_credit_threshold_set(account=account, threshold=0)
    credits_grant(account=account, amount=100, reason="test", actor=None)
    SendingLimits.objects.create(user=user, max_sms_per_day=10)
    monkeypatch.setattr(accepting, "_enqueue_send", lambda message_id, ids: None)
    return user


def test_30_concurrent_one_recipient_sends_against_a_limit_of_10_accept_exactly_10(limited_user):
    results = run_together(
        30, lambda i: message_send(user=limited_user, body="hi", to=[f"+3247512{i:04d}"], with_signature=False)
    )
    accepted = [r for r in results if isinstance(r, Message)]
    refused = [r for r in results if isinstance(r, SendRefused)]
    assert (len(accepted), len(refused)) == (10, 20), results
    assert Recipient.objects.filter(message__user=limited_user).count() == 10
    assert all("the limit is 10" in str(r) for r in refused)
    account = account_for(user=limited_user)
    assert account.provision_held == 10 and account.provision_balance == 90


def test_30_concurrent_messages_tool_emails_against_a_limit_of_10_accept_exactly_10(
    limited_user, settings, monkeypatch
):
    from broadcasts import services as broadcasts
    from broadcasts.models import Broadcast, Delivery
    from broadcasts.services import Draft, broadcast_send

    settings.MESSAGES_MAX_EMAILS_PER_DAY = 10
    settings.MESSAGES_MAX_PER_MINUTE = 100  # only the daily limit is raced here
    limited_user.email = "ann@example.org"
    limited_user.save()
    monkeypatch.setattr(broadcasts, "enqueue_deliveries", lambda ids: None)  # acceptance only

    def send(i: int):
        draft = Draft(subject="Hello", body="Hi", channels=["email"], emails=[f"p{i}@example.org"])
        return broadcast_send(user=limited_user, draft=draft)

    results = run_together(30, send)
    accepted = [r for r in results if isinstance(r, Broadcast)]
    refused = [r for r in results if isinstance(r, SendRefused)]
    assert (len(accepted), len(refused)) == (10, 20), results
    assert Delivery.objects.filter(broadcast__user=limited_user).count() == 10
