"""Reconciliation of `unknown` recipients: the provider (the fake Twilio, through the real
SDK) is asked what became of them; each is settled once, with its reason in its history."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from credits.models import CreditAccount, EntryKind, LedgerEntry
from messaging.gateways.base import StatusUpdate
from messaging.models import RecipientStatus
from messaging.services.accepting import message_send
from messaging.services.reconciling import recipients_reconcile
from messaging.services.reports import status_updates_apply
from tests.credits.helpers import assert_ledger_consistent
from tests.factories import UserFactory
from tests.fakes.twilio_server import FakeTwilio

from .test_flow import use_twilio

TAKEN, LOST, FINE = "+32475000001", "+32475000002", "+32475000003"


@pytest.fixture
def fake(settings):
    with FakeTwilio(timeout_sleep=1.0) as fake:
        use_twilio(settings, fake.url)
        yield fake


def credit(user) -> tuple[int, int]:
    account = CreditAccount.objects.get(user=user)
    assert_ledger_consistent(account)
    return account.monthly_remaining, account.monthly_held


def test_unknown_outcomes_are_asked_at_twilio_and_settled_once(fake, sender, run_on_commit, settings):
    fake.outcomes[TAKEN] = "taken"  # Twilio sent it; its answer never came
    fake.outcomes[LOST] = "timeout"  # read, never sent, never answered
    message = run_on_commit(message_send, user=sender, body="Hello", to=[TAKEN, LOST, FINE])
    rows = {r.to: r for r in message.recipients.all()}
    assert (rows[TAKEN].status, rows[LOST].status) == (RecipientStatus.UNKNOWN, RecipientStatus.UNKNOWN)
    assert credit(sender) == (17, 2)  # 3 held, the accepted one captured

    claimed = rows[TAKEN].claimed_at
    # Too early: nothing asked yet.
    assert recipients_reconcile(now=claimed + dt.timedelta(seconds=10))["asked"] == 0
    soon = claimed + dt.timedelta(seconds=settings.SMS_RECONCILE_AFTER + 1)
    assert recipients_reconcile(now=soon) == {"asked": 2, "accepted": 1, "failed": 0, "unknown": 1}
    taken = message.recipients.get(to=TAKEN)
    sid = next(sid for sid, m in fake.messages.items() if m["to"] == TAKEN)
    assert (taken.status, taken.provider_id) == (RecipientStatus.ACCEPTED, sid)
    assert credit(sender) == (17, 1)  # captured
    assert message.recipients.get(to=LOST).status == RecipientStatus.UNKNOWN  # before the deadline

    later = claimed + dt.timedelta(seconds=settings.SMS_RECONCILE_DEADLINE + 1)
    assert recipients_reconcile(now=later) == {"asked": 1, "accepted": 0, "failed": 1, "unknown": 0}
    assert message.recipients.get(to=LOST).status == RecipientStatus.FAILED
    assert credit(sender) == (18, 0)  # released
    assert recipients_reconcile(now=later)["asked"] == 0  # nothing left to decide

    history = {
        r.to: list(r.history.values_list("status_from", "status_to", "source")) for r in message.recipients.all()
    }
    assert history == {
        TAKEN: [("unknown", "accepted", "reconciliation")],
        LOST: [("unknown", "failed", "reconciliation")],
        FINE: [],
    }
    assert sid in taken.history.get().reason
    assert "no trace" in message.recipients.get(to=LOST).history.get().reason
    # Each credit moved once: one capture for the taken one, one release for the lost one.
    kinds = LedgerEntry.objects.filter(reference__startswith="reconcile:").values_list("kind", flat=True)
    assert sorted(kinds) == [EntryKind.CAPTURE, EntryKind.RELEASE]

    # A delivery report that comes later still applies, and captures nothing again.
    status_updates_apply(updates=[StatusUpdate(sid, RecipientStatus.DELIVERED)])
    assert message.recipients.get(to=TAKEN).status == RecipientStatus.DELIVERED
    assert credit(sender) == (18, 0)


def test_while_twilio_does_not_answer_the_rows_stay_unknown(fake, sender, run_on_commit, settings):
    fake.outcomes[TAKEN] = "taken"
    message = run_on_commit(message_send, user=sender, body="Hello", to=[TAKEN])
    claimed = message.recipients.get().claimed_at
    fake.server.shutdown()
    fake.server.server_close()
    late = claimed + dt.timedelta(seconds=settings.SMS_RECONCILE_DEADLINE + 1)
    assert recipients_reconcile(now=late) == {"asked": 1, "accepted": 0, "failed": 0, "unknown": 1}
    recipient = message.recipients.get()
    assert recipient.status == RecipientStatus.UNKNOWN and not recipient.history.exists()
    assert credit(sender) == (19, 1)


def test_two_unknown_sends_of_the_same_text_to_one_number_take_one_twilio_message_each(
    fake, sender, run_on_commit, settings
):
    fake.outcomes[TAKEN] = "taken"
    first = run_on_commit(message_send, user=sender, body="Same", to=[TAKEN])
    second = run_on_commit(message_send, user=sender, body="Same", to=[TAKEN])
    fake.outcomes[TAKEN] = "timeout"
    third = run_on_commit(message_send, user=sender, body="Same", to=[TAKEN])  # never sent
    now = timezone.now() + dt.timedelta(seconds=settings.SMS_RECONCILE_AFTER + 1)
    assert recipients_reconcile(now=now)["accepted"] == 2
    ids = {m.recipients.get().provider_id for m in (first, second)}
    assert ids == set(fake.messages)
    assert third.recipients.get().status == RecipientStatus.UNKNOWN


def test_an_sms_sent_under_a_sender_id_is_found_by_that_name(fake, sender, run_on_commit, settings):
    """Twilio lists messages by From: one sent as "ACME" is asked about as "ACME", not as our number."""
    from messaging.services.senders import sender_id_decide, sender_id_request
    from tests.factories import UserFactory

    asked = sender_id_request(user=sender, name="ACME", now=timezone.now())
    sender_id_decide(sender_id=asked, approve=True, by=UserFactory(is_staff=True), now=timezone.now())
    fake.outcomes[TAKEN] = "taken"
    message = run_on_commit(message_send, user=sender, body="Hello", to=[TAKEN], sender="ACME")
    row = message.recipients.get()
    assert (row.status, fake.messages[next(iter(fake.messages))]["from"]) == (RecipientStatus.UNKNOWN, "ACME")
    soon = row.claimed_at + dt.timedelta(seconds=settings.SMS_RECONCILE_AFTER + 1)
    assert recipients_reconcile(now=soon) == {"asked": 1, "accepted": 1, "failed": 0, "unknown": 0}


def test_a_personalised_sms_is_found_by_its_own_text(fake, sender, run_on_commit, settings):
    """With placeholders each recipient got its own text: Twilio is asked about that text,
    not the message's template (which no message at Twilio ever had)."""
    from messaging.services.planning import CsvRow

    fake.outcomes[TAKEN] = "taken"
    message = run_on_commit(
        message_send,
        user=sender,
        body="See you in {city}",
        csv_rows=[CsvRow(to=TAKEN, line=2, values={"city": "Ghent"})],
        with_placeholders=True,
        with_signature=False,
    )
    row = message.recipients.get()
    assert row.status == RecipientStatus.UNKNOWN
    assert fake.messages[next(iter(fake.messages))]["body"] == "See you in Ghent"
    soon = row.claimed_at + dt.timedelta(seconds=settings.SMS_RECONCILE_AFTER + 1)
    assert recipients_reconcile(now=soon) == {"asked": 1, "accepted": 1, "failed": 0, "unknown": 0}
    assert credit(sender) == (19, 0)  # captured: it was sent


def test_the_admin_shows_why_reconciliation_settled_a_recipient(fake, sender, run_on_commit, settings, client):
    fake.outcomes[LOST] = "timeout"  # read, never sent, never answered
    message = run_on_commit(message_send, user=sender, body="Hello", to=[LOST])
    row = message.recipients.get()
    later = row.claimed_at + dt.timedelta(seconds=settings.SMS_RECONCILE_DEADLINE + 1)
    assert recipients_reconcile(now=later)["failed"] == 1
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:messaging_recipient_change", args=[row.pk])).content.decode()
    event = row.history.get()
    assert "reconciliation" in page
    assert escape(event.reason) in page  # why it was settled, as decided
    assert 'name="history-0-reason"' not in page  # shown, not editable
