"""The whole path with real processes: the beat task on a `celery worker` (Redis broker,
PostgreSQL) polls the loopback Dovecot, and the alert SMS reaches the Twilio SDK's
fake server."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from mailalerts.models import AlertLog, AlertSettings, AlertStatus, Mailbox
from mailalerts.services.configure import alert_settings_save, mail_filter_save
from mailalerts.tasks import tick
from messaging.models import RecipientStatus
from tests.fakes.dovecot import simple_message
from tests.fakes.twilio_server import FakeTwilio
from tests.mailalerts.conftest import connect
from tests.workers import TWILIO_CREDENTIALS, wait_until, worker_environment

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_a_worker_polls_the_mailbox_and_the_alert_reaches_the_gateway_once(owner, dovecot, imap_account):
    env = {"SMS_GATEWAY": "twilio", "MAILALERTS_CA_FILE": str(dovecot.ca_file), **TWILIO_CREDENTIALS}
    with FakeTwilio() as fake, worker_environment(TWILIO_BASE_URL=fake.url, **env) as workers:
        mailbox = connect(owner, dovecot, imap_account)
        workers["start_worker"]()
        dovecot.append(imap_account[0], simple_message(sender="Boss <boss@example.com>", subject="Call me"))

        for _round in range(2):  # the second round finds nothing new
            started = timezone.now()
            Mailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=started)
            tick.apply_async()
            wait_until(lambda since=started: (Mailbox.objects.get(pk=mailbox.pk).last_poll_at or since) > since)
        wait_until(lambda: AlertLog.objects.filter(message__recipients__status=RecipientStatus.ACCEPTED).exists())

    assert [(r["To"], r["Body"]) for r in fake.requests] == [(owner.mobile, "Mail from Boss: Call me")]
    log = AlertLog.objects.get()
    assert log.status == AlertStatus.SENT and log.subject == "Call me"


def _poll_on_the_worker(*mailboxes):
    """Make the mailboxes due and let beat's task, on the worker, poll them once."""
    started = timezone.now()
    Mailbox.objects.filter(pk__in=[m.pk for m in mailboxes]).update(next_poll_at=started)
    tick.apply_async()
    for mailbox in mailboxes:
        wait_until(lambda since=started, pk=mailbox.pk: (Mailbox.objects.get(pk=pk).last_poll_at or since) > since)


def test_one_email_in_two_connected_mailboxes_sends_one_sms(owner, dovecot, imap_account):
    """The same email reaches two accounts (an alias, a copy): the all-mail alerts of both
    mailboxes and a matching filter name one number, so one SMS goes out."""
    alias = ("a" + imap_account[0], imap_account[1])
    dovecot.add_user(*alias)
    mail_filter_save(user=owner, name="Boss", sender="boss")
    env = {"SMS_GATEWAY": "twilio", "MAILALERTS_CA_FILE": str(dovecot.ca_file), **TWILIO_CREDENTIALS}
    with FakeTwilio() as fake, worker_environment(TWILIO_BASE_URL=fake.url, **env) as workers:
        work = connect(owner, dovecot, imap_account)
        copy = connect(owner, dovecot, alias, name="Alias")
        workers["start_worker"]()
        message = simple_message(sender="Boss <boss@example.com>", subject="Call me")
        dovecot.append(imap_account[0], message)
        dovecot.append(alias[0], message)

        _poll_on_the_worker(work, copy)
        wait_until(lambda: AlertLog.objects.filter(message__recipients__status=RecipientStatus.ACCEPTED).exists())
        _poll_on_the_worker(work, copy)  # nothing new, nothing more

    assert [(r["To"], r["Body"]) for r in fake.requests] == [(owner.mobile, "Mail from Boss: Call me")]
    assert AlertLog.objects.filter(status=AlertStatus.SENT).count() == 1
    skipped = AlertLog.objects.get(status=AlertStatus.SKIPPED)
    assert "already sent" in skipped.reason


def test_the_quiet_hours_summary_counts_toward_the_caps(owner, dovecot, imap_account):
    """Cap: 1 alert SMS an hour. The summary sent when quiet hours end is that one SMS, so
    the email after it is skipped for the cap rather than sent."""
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(owner.time_zone))
    start, end = (local - dt.timedelta(hours=1)).time(), (local + dt.timedelta(hours=1)).time()
    alert_settings_save(user=owner, quiet_start=start, quiet_end=end, max_per_hour=1, max_per_day=10)
    env = {"SMS_GATEWAY": "twilio", "MAILALERTS_CA_FILE": str(dovecot.ca_file), **TWILIO_CREDENTIALS}
    with FakeTwilio() as fake, worker_environment(TWILIO_BASE_URL=fake.url, **env) as workers:
        mailbox = connect(owner, dovecot, imap_account)
        workers["start_worker"]()
        dovecot.append(imap_account[0], simple_message(subject="At night"))
        _poll_on_the_worker(mailbox)
        assert AlertLog.objects.get().status == AlertStatus.HELD

        # Quiet hours are over (as the user's clock would say an hour later): the tick on
        # the worker sends the summary.
        alert_settings_save(user=owner, quiet_start=None, quiet_end=None, max_per_hour=1, max_per_day=10)
        AlertSettings.objects.filter(user=owner).update(summary_due_at=timezone.now())
        tick.apply_async()
        wait_until(lambda: AlertLog.objects.filter(status=AlertStatus.SUMMARIZED).exists())

        dovecot.append(imap_account[0], simple_message(subject="In the morning"))
        _poll_on_the_worker(mailbox)
        wait_until(lambda: len(fake.requests) >= 1)

    assert [r["Body"] for r in fake.requests] == ["Quiet hours: 1 new email. Last: Anna Smith: At night"]
    morning = AlertLog.objects.get(subject="In the morning")
    assert morning.status == AlertStatus.SKIPPED and "cap of 1 alert SMS per hour" in morning.reason
