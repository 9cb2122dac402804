"""Connecting mailboxes: the server's own error, TLS, hostile servers and headers, secrets."""

import logging
import socket
import threading

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from mailalerts import crypto, imap
from mailalerts.models import AlertLog, AlertStatus, Mailbox
from mailalerts.services.configure import MailAlertError, mailbox_update
from mailalerts.services.polling import mailalerts_tick
from messaging.models import Message
from tests.fakes.dovecot import simple_message
from tests.fakes.smtp_server import free_port
from tests.mailalerts.conftest import connect, poll


class BannerServer:
    """A TCP server that greets with `banner` (or says nothing) and then waits."""

    def __init__(self, banner: bytes = b"") -> None:
        self.banner = banner
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _address = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            if self.banner:
                conn.sendall(self.banner)

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


def refused(owner, dovecot, account, **changes) -> str:
    with pytest.raises(MailAlertError) as error:
        connect(owner, dovecot, account, **changes)
    assert not Mailbox.objects.exists()  # nothing saved
    return str(error.value)


def test_a_wrong_password_gives_the_servers_message(owner, dovecot, imap_account):
    message = refused(owner, dovecot, (imap_account[0], "wrong"))
    assert message == "The server refused the login: [AUTHENTICATIONFAILED] Authentication failed."


def test_a_missing_folder_is_named(owner, dovecot, imap_account):
    assert "“Archive.2025” cannot be opened: Mailbox doesn't exist" in refused(
        owner, dovecot, imap_account, folder="Archive.2025"
    )


def test_an_unreachable_host_and_a_closed_port_say_so(owner, dovecot, imap_account):
    assert "was not found" in refused(owner, dovecot, imap_account, host="imap.invalid")
    assert "refused the connection" in refused(owner, dovecot, imap_account, port=free_port())


@pytest.mark.parametrize("host", ["mail..example.com", "x" * 64 + ".example.com"])
def test_a_host_name_that_cannot_exist_is_not_found_rather_than_an_error(owner, dovecot, imap_account, host):
    assert refused(owner, dovecot, imap_account, host=host) == f"The server {host} was not found (check its name)."


def test_a_certificate_we_do_not_trust_is_a_tls_failure(owner, dovecot, imap_account, settings):
    settings.MAILALERTS_CA_FILE = ""
    message = refused(owner, dovecot, imap_account)
    assert message.startswith(f"The secure connection to 127.0.0.1:{dovecot.port} failed:")
    assert "certificate is not trusted" in message


def test_tls_on_a_port_that_speaks_plain_imap_fails_cleanly(owner, dovecot, imap_account):
    message = refused(owner, dovecot, imap_account, security="tls")
    assert "secure connection" in message or "did not answer" in message


def test_a_server_that_is_not_imap(owner, dovecot, imap_account, settings):
    settings.MAILALERTS_TIMEOUT = 1
    ssh = BannerServer(b"SSH-2.0-OpenSSH_9.2\r\n")
    silent = BannerServer()
    try:
        assert "does not answer like an IMAP server" in refused(
            owner, dovecot, imap_account, port=ssh.port, security="plain"
        )
        assert "did not answer within 1 seconds" in refused(owner, dovecot, imap_account, port=silent.port)
    finally:
        ssh.close()
        silent.close()


def test_plain_imap_and_private_hosts_are_refused_unless_allowed(owner, dovecot, imap_account, settings):
    settings.MAILALERTS_ALLOW_PLAIN = False
    assert "Choose TLS or STARTTLS" in refused(owner, dovecot, imap_account, security="plain")
    settings.MAILALERTS_ALLOW_PRIVATE_HOSTS = False
    assert "private or local address (127.0.0.1)" in refused(owner, dovecot, imap_account)


def test_the_password_is_stored_encrypted_and_never_logged(owner, dovecot, imap_account, caplog):
    caplog.set_level(logging.DEBUG)
    mailbox = connect(owner, dovecot, imap_account)
    stored = bytes(Mailbox.objects.get(pk=mailbox.pk).password_encrypted)
    assert imap_account[1].encode() not in stored
    assert crypto.decrypt(stored) == imap_account[1]
    poll(mailbox)
    assert "LOGIN" in caplog.text  # IMAPClient's debug log was captured...
    assert imap_account[1] not in caplog.text  # ...without the password


def test_an_empty_password_on_edit_keeps_the_stored_one(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    mailbox_update(
        mailbox=mailbox,
        name="Renamed",
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password="",
        folder="INBOX",
    )
    assert crypto.decrypt(Mailbox.objects.get(pk=mailbox.pk).password_encrypted) == imap_account[1]


HOSTILE = [
    # 100 KB subject, binary bytes, broken encodings, NUL, bidi override, endless folding
    b"From: " + b"A" * 3000 + b" <a@example.org>\r\nSubject: " + b"x" * 100_000 + b"\r\n",
    b"From: \xff\xfe\x00\x01 <bin@example.org>\r\nSubject: \x80\x81\x82 \x00 bytes\r\n",
    b"From: =?utf-8?b?!!notbase64?= <b@example.org>\r\nSubject: =?nosuchcharset?q?caf=E9?= =?utf-8?q?=FF=FE?=\r\n",
    b'From: "\xe2\x80\xae reversed" <c@example.org>\r\nSubject: evil \xe2\x80\xae gnp.exe\r\n',
    b"From: <<<@@@>>>,,,\r\nTo: ((((((((((\r\nSubject:" + b"\r\n " * 2000 + b"folded\r\n",
]


def test_hostile_headers_give_a_readable_sms_and_do_not_stop_the_poller(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    for number, headers in enumerate(HOSTILE):  # each its own email: one Message-ID each
        dovecot.append(imap_account[0], headers + f"Message-ID: <x{number}@y>\r\n\r\nbody\r\n".encode())
    assert poll(mailbox) == f"new:{len(HOSTILE)}"
    texts = list(Message.objects.filter(user=owner).order_by("pk").values_list("text", "segments"))
    assert len(texts) == len(HOSTILE)
    for text, parts in texts:
        assert parts == 1 and text.startswith("Mail from ")
        assert not any(ord(char) < 32 or char == "\u202e" for char in text)
    assert texts[3][0] == "Mail from reversed: evil gnp.exe"


def test_a_failing_mailbox_backs_off_tells_the_user_once_and_others_keep_being_polled(
    owner, dovecot, imap_account, settings, django_capture_on_commit_callbacks
):
    settings.MAILALERTS_FAILURES_NOTICE = 2
    good = connect(owner, dovecot, imap_account, name="Good")
    other = ("b" + imap_account[0], imap_account[1])
    dovecot.add_user(*other)
    bad = connect(owner, dovecot, other, name="Bad")
    Mailbox.objects.filter(pk=bad.pk).update(port=free_port())  # the server moved away
    dovecot.append(imap_account[0], simple_message(subject="still here"))

    waits = []
    for _round in range(3):
        Mailbox.objects.update(next_poll_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            counts = mailalerts_tick()  # eager tasks: each mailbox polled in turn
        assert counts["polls"] == 2
        bad.refresh_from_db()
        waits.append((bad.next_poll_at - timezone.now()).total_seconds())
    assert bad.failures == 3 and "refused the connection" in bad.last_error
    assert waits[0] < waits[1] < waits[2]  # 120 s, 240 s, 480 s
    assert len(django_mail.outbox) == 1 and "“Bad” cannot be read" in django_mail.outbox[0].subject
    good.refresh_from_db()
    assert good.failures == 0
    assert AlertLog.objects.filter(status=AlertStatus.SENT).count() == 1  # the good one alerted


def test_a_password_stored_under_a_retired_key_asks_for_it_again(owner, dovecot, imap_account, settings):
    mailbox = connect(owner, dovecot, imap_account)
    settings.MAILBOX_PASSWORD_KEYS = ["bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE="]  # the old key is gone
    with pytest.raises(MailAlertError, match="enter it again"):
        mailbox_update(
            mailbox=mailbox,
            name="Work",
            host=mailbox.host,
            port=mailbox.port,
            security="tls",
            username=mailbox.username,
        )
    assert poll(mailbox) == "failed"
    mailbox.refresh_from_db()
    assert mailbox.last_error == "The stored password cannot be read any more: enter it again."


def test_a_key_rotation_keeps_stored_passwords_readable(owner, dovecot, imap_account, settings):
    mailbox = connect(owner, dovecot, imap_account)
    settings.MAILBOX_PASSWORD_KEYS = ["bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE=", *settings.MAILBOX_PASSWORD_KEYS]
    dovecot.append(imap_account[0], simple_message(subject="after rotation"))
    assert poll(mailbox) == "new:1"


def test_a_mailbox_deleted_while_claimed_is_not_polled(owner, dovecot, imap_account):
    from mailalerts.services.polling import mailbox_poll, mailboxes_claim_due

    mailbox = connect(owner, dovecot, imap_account)
    Mailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=timezone.now())
    [(mailbox_id, token)] = mailboxes_claim_due(now=timezone.now())
    mailbox.delete()
    assert mailbox_poll(mailbox_id=mailbox_id, token=token) == "not-ours"


def test_a_password_with_non_ascii_characters_logs_in(owner, dovecot, imap_account):
    """IMAP LOGIN is ASCII only: such a password goes through AUTHENTICATE PLAIN (UTF-8)."""
    account = (imap_account[0], "pässwörd-été")
    dovecot.add_user(*account)
    mailbox = connect(owner, dovecot, account)
    dovecot.append(account[0], simple_message(subject="Grüße"))
    assert poll(mailbox) == "new:1"
    with pytest.raises(MailAlertError, match=r"^The server refused the login"):
        connect(owner, dovecot, (account[0], "pässwörd-faux"), name="Wrong")


class Resolver:
    """Stands in for DNS at the boundary (socket.getaddrinfo): `host` gets the scripted
    answers in turn (the last one repeats); other names are resolved for real."""

    def __init__(self, monkeypatch, host: str, *answers: str) -> None:
        self.host, self.answers, self.calls = host, list(answers), 0
        self.real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host != self.host:
            return self.real(host, port, *args, **kwargs)
        address = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]


PRIVATE_FORMS = [
    "::127.0.0.1",  # IPv4-compatible (deprecated) loopback
    "::10.1.2.3",
    "64:ff9b::7f00:1",  # NAT64 well-known prefix around 127.0.0.1
    "64:ff9b::c0a8:101",  # ... around 192.168.1.1
    "64:ff9b:1::808:808",  # local-use NAT64 (RFC 8215): our own network's translator
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",  # ... a cloud's metadata service
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
    "fec0::1",  # site-local (deprecated)
    "fd12:3456::1",  # unique-local
    "fe80::1",  # link-local
    "::1",
    "::",
    "ff02::1",  # multicast
    "ff0e::1",  # global-scope multicast: not a server either
    "224.0.0.251",
    "0.0.0.0",  # noqa: S104 - an answer to refuse, not a bind address
    "10.0.0.5",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.169.254",
]


@pytest.mark.parametrize("address", PRIVATE_FORMS)
def test_every_form_of_a_private_address_is_refused(owner, dovecot, imap_account, settings, monkeypatch, address):
    settings.MAILALERTS_ALLOW_PRIVATE_HOSTS = False
    Resolver(monkeypatch, "imap.example.com", address)
    message = refused(owner, dovecot, imap_account, host="imap.example.com", port=993, security="tls")
    assert message.startswith("imap.example.com is a private or local address (")
    assert "use the server's public name" in message


@pytest.mark.parametrize("address", ["93.184.215.14", "::ffff:93.184.215.14", "64:ff9b::5db8:d70e", "2a00:1450::1"])
def test_public_addresses_in_any_form_pass_the_check(settings, monkeypatch, address):
    settings.MAILALERTS_ALLOW_PRIVATE_HOSTS = False
    Resolver(monkeypatch, "imap.example.com", address)
    assert imap.resolve_allowed("imap.example.com", 993) == [address]


def test_a_name_that_resolves_again_to_a_private_address_is_not_followed(
    owner, dovecot, imap_account, settings, monkeypatch
):
    """DNS rebinding: public when checked, 127.0.0.1 a moment later. The connection goes to
    the address that was checked (here refused, to stay off the network), and the name is
    looked up once."""
    settings.MAILALERTS_ALLOW_PRIVATE_HOSTS = False
    resolver = Resolver(monkeypatch, "imap.rebind.example", "93.184.215.14", "127.0.0.1")
    dialled = []

    def create_connection(address, *args, **kwargs):
        dialled.append(address[0])
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "create_connection", create_connection)
    message = refused(owner, dovecot, imap_account, host="imap.rebind.example", port=993, security="tls")
    assert message == "imap.rebind.example:993 refused the connection (check the port)."
    assert dialled == ["93.184.215.14"]
    assert resolver.calls == 1


def test_the_checked_address_is_dialled_and_tls_still_checks_the_name_typed(owner, dovecot, imap_account, monkeypatch):
    # "localhost" is on the Dovecot's certificate; 127.0.0.2 (also this host) has no Dovecot.
    resolver = Resolver(monkeypatch, "localhost", "127.0.0.1", "127.0.0.2")
    mailbox = connect(owner, dovecot, imap_account, host="localhost")
    assert mailbox.host == "localhost"
    assert resolver.calls == 1


def test_tls_checks_the_certificate_against_the_name_typed_not_the_address(owner, dovecot, imap_account, monkeypatch):
    # The certificate covers 127.0.0.1 too, yet a name it does not list is refused.
    Resolver(monkeypatch, "imap.other.example", "127.0.0.1")
    assert "certificate is not trusted" in refused(owner, dovecot, imap_account, host="imap.other.example")


# One email, one SMS: the same account and folder are connected once -----------------------


def test_the_same_account_and_folder_cannot_be_connected_twice(owner, dovecot, imap_account):
    connect(owner, dovecot, imap_account, host="127.0.0.1")
    for host, folder in (("localhost", "INBOX"), ("127.0.0.1", "inbox")):
        with pytest.raises(MailAlertError) as error:
            connect(owner, dovecot, imap_account, name="Again", host=host, folder=folder)
        assert "already connected as “Work”" in str(error.value)
    assert Mailbox.objects.count() == 1  # nothing saved


def test_another_folder_of_the_same_account_may_be_connected(owner, dovecot, imap_account):
    dovecot.append(imap_account[0], simple_message(), folder="Invoices")
    connect(owner, dovecot, imap_account)
    connect(owner, dovecot, imap_account, name="Invoices", folder="Invoices")
    assert Mailbox.objects.count() == 2


def test_a_mailbox_cannot_be_changed_into_a_copy_of_another(owner, dovecot, imap_account):
    dovecot.append(imap_account[0], simple_message(), folder="Invoices")
    connect(owner, dovecot, imap_account)
    second = connect(owner, dovecot, imap_account, name="Invoices", folder="Invoices")
    with pytest.raises(MailAlertError, match="already connected as “Work”"):
        mailbox_update(
            mailbox=second,
            name="Invoices",
            host="localhost",
            port=dovecot.port,
            security="starttls",
            username=imap_account[0],
            folder="INBOX",
        )
    assert Mailbox.objects.get(pk=second.pk).folder == "Invoices"


@pytest.mark.parametrize(
    ("security", "port", "message"),
    [
        ("starttls", 993, "Port 993 is for TLS"),
        ("tls", 143, "Port 143 expects STARTTLS"),
    ],
)
def test_a_port_that_does_not_match_the_security_is_refused(owner, dovecot, imap_account, security, port, message):
    with pytest.raises(MailAlertError) as error:
        connect(owner, dovecot, imap_account, security=security, port=port)
    assert message in str(error.value) and error.value.field == "port"
    assert not Mailbox.objects.exists()


def test_tls_spoken_to_a_starttls_port_says_so_in_words(owner, dovecot, imap_account):
    message = refused(owner, dovecot, imap_account, security="tls")
    assert "this port expects STARTTLS" in message
    assert "WRONG_VERSION_NUMBER" not in message
