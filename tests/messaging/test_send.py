"""message_send and the dispatch that follows, through the locmem gateway and eager tasks."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import ContactList, ListMember
from credits.models import CreditAccount, Hold
from credits.services import InsufficientCredit
from messaging.gateways.base import GatewayTransientError, Outcome, SendResult, StatusUpdate
from messaging.models import Message, Recipient, RecipientStatus, SendingLimits
from messaging.services.accepting import message_cancel, message_send
from messaging.services.dispatching import recipients_dispatch
from messaging.services.planning import SendRefused
from messaging.services.reports import status_updates_apply
from messaging.services.sweep import messaging_sweep
from tests.credits.helpers import assert_ledger_consistent
from tests.factories import ContactFactory, UserFactory


def make_due(recipient):
    """Let time pass until the recipient's next attempt."""
    Recipient.objects.filter(pk=recipient.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def balances(user):
    account = CreditAccount.objects.get(user=user)
    return account.monthly_remaining, account.monthly_held, account.provision_balance, account.provision_held


def test_send_to_numbers_contacts_and_lists_dedupes_and_charges_each_recipient(
    sender, bob, run_on_commit, locmem_gateway
):
    team = ContactList.objects.create(owner=sender, name="Team")
    ListMember.objects.create(contact_list=team, contact=bob)
    ListMember.objects.create(contact_list=team, phone="+33612345678")
    message = run_on_commit(
        message_send,
        user=sender,
        body="Meeting at 10",
        to=["0486 11 22 33", "+32 475 12 34 56"],
        contact_ids=[bob.pk],
        list_ids=[team.pk],
    )
    assert message.text == "Meeting at 10\nAnn"
    assert sorted(r.to for r in message.recipients.all()) == ["+32475123456", "+32486112233", "+33612345678"]
    assert message.recipients.get(to="+32486112233").contact == bob
    assert {r.status for r in message.recipients.all()} == {RecipientStatus.ACCEPTED}
    assert sorted(sms.to for sms in locmem_gateway.outbox) == ["+32475123456", "+32486112233", "+33612345678"]
    assert balances(sender) == (17, 0, 10, 0)
    assert_ledger_consistent(CreditAccount.objects.get(user=sender))


def test_a_long_text_costs_its_parts_for_each_recipient(sender, run_on_commit):
    message = run_on_commit(message_send, user=sender, body="x" * 200, to=["+32475123456", "+32475123457"])
    assert (message.segments, message.credits_held) == (2, 4)
    assert balances(sender) == (16, 0, 10, 0)


def test_failed_recipients_give_their_credit_back(sender, run_on_commit, locmem_gateway):
    locmem_gateway.script = lambda sms: (
        SendResult(Outcome.FAILED, code="21211", reason="invalid number")
        if sms.to.endswith("7")
        else SendResult(Outcome.ACCEPTED)
    )
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456", "+32475123457"])
    failed = message.recipients.get(to="+32475123457")
    assert (failed.status, failed.error_reason) == (RecipientStatus.FAILED, "invalid number")
    assert balances(sender) == (19, 0, 10, 0)


def test_short_credit_refuses_the_whole_send_and_writes_nothing(sender):
    numbers = [f"+3247512{n:04d}" for n in range(31)]  # 31 credits needed, 30 available
    with pytest.raises(InsufficientCredit) as error:
        message_send(user=sender, body="hi", to=numbers)
    assert (error.value.needed, error.value.available) == (31, 30)
    assert not Message.objects.exists() and not Recipient.objects.exists() and not Hold.objects.exists()
    assert balances(sender) == (20, 0, 10, 0)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"body": "   "}, "Write a message."),
        ({"body": "bell\x07"}, "control characters (U+0007)"),
        ({"body": "x" * 1531}, "The text takes 11 parts; at most 10"),
        ({"body": "x" * 1_000_000}, "at most 10 are allowed"),
        ({"to": ["+32 2 555 12 12"]}, "is not a mobile number"),
        ({"to": ["+32 900 12 345"]}, "premium-rate"),
        ({"to": ["hello"]}, "is not a phone number"),
        ({"to": []}, "Add at least one recipient."),
        ({"contact_ids": [999999]}, "No such contact."),
        ({"list_ids": [999999]}, "No such List."),
        ({"send_at": timezone.now() - dt.timedelta(minutes=1)}, "in the past"),
        ({"send_at": dt.datetime(2030, 1, 1)}, "time zone"),
    ],
)
def test_bad_input_is_refused_by_name_and_nothing_is_held(sender, kwargs, reason):
    arguments = {"user": sender, "body": "hello", "to": ["+32475123456"], **kwargs}
    with pytest.raises(SendRefused) as error:
        message_send(**arguments)
    assert reason in str(error.value)
    assert not Message.objects.exists() and not Hold.objects.exists()


def test_other_peoples_contacts_and_lists_are_unknown(sender):
    stranger = UserFactory()
    their_contact = ContactFactory()
    their_list = ContactList.objects.create(owner=stranger, name="Theirs")
    with pytest.raises(SendRefused) as error:
        message_send(user=sender, body="hi", contact_ids=[their_contact.pk], list_ids=[their_list.pk])
    assert {(p.field, p.reason) for p in error.value.problems} == {
        ("contacts", "No such contact."),
        ("lists", "No such List."),
    }


def test_a_contact_without_a_mobile_number_is_named(sender, bob):
    bob.phones.update(label="home")
    with pytest.raises(SendRefused, match="Bob Janssens: labelled home, not mobile"):
        message_send(user=sender, body="hi", contact_ids=[bob.pk])


def test_us_numbers_carry_a_warning_in_the_plan(sender):
    from messaging.services.planning import message_plan

    plan = message_plan(user=sender, body="hi", to=["+1 212 555 0100"])
    assert plan.warnings and "often refuse SMS" in plan.warnings[0]


def test_abuse_limits_from_settings_and_per_user(sender, settings):
    settings.SMS_ALLOWED_COUNTRIES = ["BE"]
    with pytest.raises(SendRefused, match="SMS to this country are not allowed"):
        message_send(user=sender, body="hi", to=["+33612345678"])
    SendingLimits.objects.create(user=sender, max_recipients_per_send=1, allowed_countries="FR")
    with pytest.raises(SendRefused, match="2 recipients: at most 1 in one send"):
        message_send(user=sender, body="hi", to=["+33612345678", "+33612345679"])
    SendingLimits.objects.filter(user=sender).update(max_recipients_per_send=None, max_sms_per_day=2)
    message_send(user=sender, body="hi", to=["+33612345678", "+33612345679"])
    with pytest.raises(SendRefused, match="would make 3 SMS in 24 hours; the limit is 2"):
        message_send(user=sender, body="hi", to=["+33612345670"])


def test_10001_recipients_are_refused(sender, settings):
    numbers = [f"+3247{n:07d}" for n in range(10_001)]
    with pytest.raises(SendRefused, match="10001 recipients: at most 10000"):
        message_send(user=sender, body="hi", to=numbers)


def test_a_recipient_is_given_to_the_gateway_once(sender, run_on_commit, locmem_gateway):
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456"])
    ids = list(message.recipients.values_list("pk", flat=True))
    assert recipients_dispatch(recipient_ids=ids) == 0  # a repeated task claims nothing
    assert len(locmem_gateway.outbox) == 1


def test_a_task_over_its_time_budget_hands_its_other_chunks_back_and_loses_nobody(
    sender, run_on_commit, locmem_gateway, settings
):
    settings.SMS_CHUNK_SIZE, settings.SMS_TASK_CHUNKS = 1, 5
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 0  # every chunk after a task's first is over its budget
    numbers = [f"+3247512345{n}" for n in range(5)]
    message = run_on_commit(message_send, user=sender, body="hi", to=numbers)
    assert sorted(sms.to for sms in locmem_gateway.outbox) == numbers  # each once, none left queued
    assert set(message.recipients.values_list("status", flat=True)) == {RecipientStatus.ACCEPTED}
    assert len(set(message.recipients.values_list("claim", flat=True))) == 5  # a claim a chunk
    assert balances(sender) == (15, 0, 10, 0)


def test_transient_errors_are_retried_later_then_failed_and_released(sender, locmem_gateway, run_on_commit, settings):
    settings.SMS_MAX_ATTEMPTS = 2
    locmem_gateway.chunk_error = GatewayTransientError("provider down")
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456"])
    recipient = message.recipients.get()
    assert (recipient.status, recipient.attempts) == (RecipientStatus.QUEUED, 1)
    assert recipient.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    run_on_commit(messaging_sweep)
    assert len(locmem_gateway.outbox) == 0 and recipient.attempts == 1  # not yet due
    make_due(recipient)
    run_on_commit(messaging_sweep)
    recipient.refresh_from_db()
    assert (recipient.status, recipient.attempts, recipient.error_reason) == (
        RecipientStatus.FAILED,
        2,
        "provider down",
    )
    assert balances(sender) == (20, 0, 10, 0)


def test_retry_then_success(sender, locmem_gateway, run_on_commit):
    locmem_gateway.script = lambda sms: SendResult(Outcome.RETRY, code="429", reason="slow down")
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456"])
    locmem_gateway.script = None
    recipient = message.recipients.get()
    make_due(recipient)
    run_on_commit(messaging_sweep)
    recipient.refresh_from_db()
    assert recipient.status == RecipientStatus.ACCEPTED
    assert balances(sender) == (19, 0, 10, 0)


def test_an_unanswered_send_is_unknown_and_keeps_its_credit_held(sender, locmem_gateway, run_on_commit):
    locmem_gateway.script = lambda sms: SendResult(Outcome.UNKNOWN, code="timeout", reason="no answer")
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456"])
    assert message.recipients.get().status == RecipientStatus.UNKNOWN
    assert balances(sender) == (19, 1, 10, 0)
    run_on_commit(messaging_sweep, now=timezone.now() + dt.timedelta(hours=1))
    assert len(locmem_gateway.outbox) == 1  # never resent


def test_a_claim_whose_worker_died_becomes_unknown_and_is_not_resent(sender, locmem_gateway):
    message = message_send(user=sender, body="hi", to=["+32475123456"])  # on_commit not run: no task yet
    recipient = message.recipients.get()
    Recipient.objects.filter(pk=recipient.pk).update(
        status=RecipientStatus.SUBMITTING, claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert messaging_sweep()["unknown"] == 1
    recipient.refresh_from_db()
    assert recipient.status == RecipientStatus.UNKNOWN and "check with the provider" in recipient.error_reason
    assert locmem_gateway.outbox == []


def test_the_outbox_sweep_sends_rows_whose_task_never_ran(sender, locmem_gateway, run_on_commit, settings):
    message = message_send(user=sender, body="hi", to=["+32475123456"])  # the enqueue is lost
    assert run_on_commit(messaging_sweep)["enqueued"] == 0  # too recent: its task may still come
    later = timezone.now() + dt.timedelta(seconds=settings.SMS_OUTBOX_GRACE + 1)
    assert run_on_commit(messaging_sweep, now=later)["enqueued"] == 1
    assert message.recipients.get().status == RecipientStatus.ACCEPTED


def test_a_scheduled_send_fires_at_its_time(sender, locmem_gateway, run_on_commit):
    when = timezone.now() + dt.timedelta(hours=2)
    message = run_on_commit(message_send, user=sender, body="later", to=["+32475123456"], send_at=when)
    assert (message.status, balances(sender)) == ("scheduled", (19, 1, 10, 0))
    run_on_commit(messaging_sweep)
    assert locmem_gateway.outbox == []
    Message.objects.filter(pk=message.pk).update(send_at=timezone.now() - dt.timedelta(seconds=1))  # time passes
    run_on_commit(messaging_sweep)
    assert [sms.to for sms in locmem_gateway.outbox] == ["+32475123456"]


def test_canceling_a_scheduled_send_releases_its_credit(sender, run_on_commit):
    when = timezone.now() + dt.timedelta(hours=2)
    message = message_send(user=sender, body="later", to=["+32475123456", "+32475123457"], send_at=when)
    message_cancel(message=message)
    assert balances(sender) == (20, 0, 10, 0)
    assert set(message.recipients.values_list("status", flat=True)) == {RecipientStatus.CANCELED}
    with pytest.raises(SendRefused, match="Only a scheduled send"):
        message_cancel(message=message)
    run_on_commit(messaging_sweep, now=when)
    assert set(message.recipients.values_list("status", flat=True)) == {RecipientStatus.CANCELED}


def test_delivery_reports_only_move_forward(sender, run_on_commit):
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456"])
    recipient = message.recipients.get()
    pid = recipient.provider_id
    assert status_updates_apply(updates=[StatusUpdate(pid, RecipientStatus.DELIVERED)]) == 1
    assert status_updates_apply(updates=[StatusUpdate(pid, RecipientStatus.DELIVERED)]) == 0  # repeated
    assert status_updates_apply(updates=[StatusUpdate(pid, RecipientStatus.ACCEPTED)]) == 0  # late
    assert status_updates_apply(updates=[StatusUpdate(pid, RecipientStatus.UNDELIVERED)]) == 0  # final already
    assert status_updates_apply(updates=[StatusUpdate("nobody", RecipientStatus.DELIVERED)]) == 0
    recipient.refresh_from_db()
    assert recipient.status == RecipientStatus.DELIVERED
    assert balances(sender) == (19, 0, 10, 0)  # delivered or not, accepted is paid once
