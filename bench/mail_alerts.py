"""Polling 200 mailboxes on a loopback Dovecot, on PostgreSQL with two real workers.

Prints, in one run:
- the baseline: 200 bare IMAP sessions (STARTTLS, LOGIN, EXAMINE, LOGOUT) one after
  the other from this process, with IMAPClient alone;
- one polling round with no new mail: from the beat tick until every mailbox has
  recorded its poll (target < 10 s on 2 cores);
- one round with 1,000 new messages spread over the mailboxes (5 each): until every
  alert SMS is queued (Message + Recipient written, credit held; target: all 1,000
  within the round), and until the gateway (locmem) has accepted them all.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice_bench .venv/bin/python bench/mail_alerts.py
"""

import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.dovecot import DovecotServer, simple_message

MAILBOXES, PER_MAILBOX = 200, 5
ROOT = Path(tempfile.mkdtemp(prefix="smsoffice-bench-dovecot-"))
ROOT.chmod(0o755)
DOVECOT = DovecotServer(ROOT)
os.environ["MAILALERTS_CA_FILE"] = str(DOVECOT.ca_file)  # before Django reads its settings

from common import throwaway_database
from django.utils import timezone
from imapclient import IMAPClient

from credits.models import Plan
from mailalerts.imap import tls_context
from mailalerts.models import AlertLog, AlertStatus, Mailbox
from mailalerts.services.configure import mailbox_connect
from mailalerts.services.polling import mailalerts_tick
from messaging.models import Recipient, RecipientStatus
from tests.factories import UserFactory
from tests.workers import worker_environment

logging.getLogger("celery").setLevel(logging.WARNING)


def bare_sessions(accounts: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for name, password in accounts:
        client = IMAPClient(DOVECOT.host, port=DOVECOT.port, ssl=False, timeout=10)
        client.starttls(tls_context())
        client.login(name, password)
        client.select_folder("INBOX", readonly=True)
        client.logout()
    return time.perf_counter() - start


def polling_round() -> tuple[float, float]:
    """Seconds from the tick until every mailbox has recorded a poll after it; and the
    perf_counter() at the tick."""
    started = timezone.now()
    Mailbox.objects.update(next_poll_at=started)
    start = time.perf_counter()
    counts = mailalerts_tick(now=started)
    assert counts["polls"] == MAILBOXES, counts
    while Mailbox.objects.filter(last_poll_at__gt=started).count() < MAILBOXES:
        time.sleep(0.02)
    return time.perf_counter() - start, start


def main() -> None:
    DOVECOT.start()
    try:
        with throwaway_database(postgres_only=True):
            run()
    finally:
        DOVECOT.stop()
        shutil.rmtree(ROOT, ignore_errors=True)


def run() -> None:
    Plan.objects.create(name="Standard", monthly_allowance=100, is_default=True)
    accounts = [(f"bench{n}", f"secret{n}") for n in range(MAILBOXES)]
    for name, password in accounts:
        DOVECOT.add_user(name, password)
    start = time.perf_counter()
    for n, (name, password) in enumerate(accounts):
        user = UserFactory(mobile=f"+3247{n:07d}")
        mailbox_connect(
            user=user,
            name="Inbox",
            host=DOVECOT.host,
            port=DOVECOT.port,
            security="starttls",
            username=name,
            password=password,
        )
    connect_s = time.perf_counter() - start
    baseline = bare_sessions(accounts)
    print(f"connect {MAILBOXES} mailboxes (each tested, password encrypted): {connect_s:.2f} s")
    print(f"baseline: {MAILBOXES} bare IMAP sessions one after the other (IMAPClient alone): {baseline:.2f} s")

    with worker_environment(MAILALERTS_CA_FILE=str(DOVECOT.ca_file)) as workers:
        for _ in range(2):
            workers["start_worker"]()
        time.sleep(3)  # let them connect
        quiet = [polling_round()[0] for _ in range(3)]
        print(
            f"quiet round, {MAILBOXES} mailboxes, 2 workers: {min(quiet):.2f}-{max(quiet):.2f} s "
            f"(3 rounds; target < 10 s)"
        )
        for name, _password in accounts:
            DOVECOT.append_many(name, [simple_message(subject=f"News {k}") for k in range(PER_MAILBOX)])
        busy, start = polling_round()
        queued = Recipient.objects.count()  # queued in the poll's transaction, before the round ended
        while Recipient.objects.filter(status=RecipientStatus.ACCEPTED).count() < MAILBOXES * PER_MAILBOX:
            time.sleep(0.05)
        accepted = time.perf_counter() - start
    sent = AlertLog.objects.filter(status=AlertStatus.SENT).count()
    assert sent == queued == MAILBOXES * PER_MAILBOX, (sent, queued)
    print(
        f"round with {MAILBOXES * PER_MAILBOX:,} new messages over {MAILBOXES} mailboxes: {busy:.2f} s, "
        f"{queued:,} alert SMS queued within it (target: all {MAILBOXES * PER_MAILBOX:,} in one round); "
        f"all accepted by the gateway (locmem) {accepted:.2f} s after the tick"
    )


if __name__ == "__main__":
    main()
