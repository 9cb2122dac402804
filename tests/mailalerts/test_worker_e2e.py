"""The whole path with real processes: the beat task on a `celery worker` (Redis broker,
PostgreSQL) polls the loopback Dovecot, and the alert SMS reaches the Twilio SDK's
fake server."""

import pytest
from django.utils import timezone

from mailalerts.models import AlertLog, AlertStatus, Mailbox
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
