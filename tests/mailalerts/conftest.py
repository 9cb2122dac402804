import datetime as dt
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from credits.models import Plan
from credits.services import account_for
from mailalerts.models import Mailbox
from mailalerts.services.configure import mailbox_connect
from mailalerts.services.polling import mailbox_poll, mailboxes_claim_due
from tests.factories import UserFactory
from tests.fakes.dovecot import DOVECOT, DovecotServer


@pytest.fixture(scope="session")
def dovecot():
    """One real Dovecot for the session (Debian's dovecot-imapd; `make test-deps` installs it)."""
    assert os.path.exists(DOVECOT), "dovecot-imapd is missing: run `make test-deps`"
    # Not pytest's tmp_path: it is private to us (0700), and Dovecot's own processes
    # (users dovecot, dovenull, nobody) must read the configuration and write the mail.
    root = Path(tempfile.mkdtemp(prefix="smsoffice-dovecot-"))
    root.chmod(0o755)
    server = DovecotServer(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def trust_dovecot(settings, dovecot):
    settings.MAILALERTS_CA_FILE = str(dovecot.ca_file)


@pytest.fixture
def imap_account(dovecot):
    """A new IMAP user on the Dovecot: (name, password)."""
    name, password = f"u{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    dovecot.add_user(name, password)
    return name, password


@pytest.fixture
def owner(db):
    Plan.objects.get_or_create(name="Standard", defaults={"monthly_allowance": 100, "is_default": True})
    user = UserFactory(
        full_name="Ann Peeters", mobile="+32475123456", time_zone="Europe/Brussels", email="ann@example.com"
    )
    account_for(user=user)
    return user


def connect(user, dovecot, account, **changes):
    fields = {
        "user": user,
        "name": "Work",
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "starttls",
        "username": account[0],
        "password": account[1],
    }
    return mailbox_connect(**{**fields, **changes})


def poll(mailbox, now=None):
    """Claim the mailbox as the beat tick would (its time has come) and poll it once."""
    Mailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=timezone.now() - dt.timedelta(seconds=1))
    claimed = dict(mailboxes_claim_due(now=timezone.now()))
    assert mailbox.pk in claimed, "the mailbox was not due or is leased"
    return mailbox_poll(mailbox_id=mailbox.pk, token=claimed[mailbox.pk], now=now)
