"""A real Dovecot IMAP server on loopback, configured in a temporary folder.

Debian's `dovecot-imapd` (installed by `make test-deps`); passwd-file users, maildir
storage, one IMAP listener on a free loopback port that offers STARTTLS with a
self-signed certificate for 127.0.0.1/localhost (`ca_file` trusts it). Test mail is
appended over IMAP, as a mail client would.
"""

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from imapclient import IMAPClient

from tests.fakes.smtp_server import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
login_trusted_networks =
auth_failure_delay = 0
mail_max_userip_connections = 1000
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  process_min_avail = 2
  service_count = 0
}}
service imap {{
  process_limit = 1024
}}
service anvil {{
  chroot =
  # No auth penalty: after the wrong-password test every login would wait 4 s and more.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (PEM files in `folder`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class DovecotServer:
    """Start with `start()`, stop with `stop()`; `add_user()` works while it runs."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.process: subprocess.Popen | None = None
        self.ca_file, _key = self_signed_certificate(self.root)
        self._users: dict[str, str] = {}

    def start(self) -> "DovecotServer":
        for folder in ("run", "state", "mail", "home", "users"):
            (self.root / folder).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            # Dovecot refuses mail access as root: mail files belong to `nobody`.
            account = pwd.getpwnam("nobody")
            internal, login = "dovecot", "dovenull"
            for folder in ("mail", "home"):
                os.chown(self.root / folder, account.pw_uid, account.pw_gid)
        else:
            account = pwd.getpwuid(os.getuid())
            internal = login = account.pw_name
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                uid=account.pw_uid,
                gid=account.pw_gid,
                internal_user=internal,
                login_user=login,
            )
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_listening()
        return self

    def _wait_listening(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()} {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def add_user(self, name: str, password: str) -> None:
        """A passwd-file of its own per user: Dovecot notices a changed file by its mtime,
        which two users added in the same second would not change."""
        self._users[name] = password
        (self.root / "users" / name).write_text(f"{name}:{{PLAIN}}{password}::::::\n")

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.plain_login(user, self._users[user])  # AUTHENTICATE PLAIN: UTF-8 passwords too
        return client

    def append(self, user: str, message: bytes | str, folder: str = "INBOX", flags: tuple = ()) -> None:
        """Deliver `message` (a whole RFC 5322 message) to the user's folder over IMAP."""
        if isinstance(message, str):
            message = message.encode()
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, message, flags=flags)

    def append_many(self, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
        with self.client(user) as client:
            for message in messages:
                client.append(folder, message)

    def reset_uidvalidity(self, user: str, folder: str = "INBOX") -> None:
        """Give the folder a new UIDVALIDITY, as a server does when it renumbers a folder."""
        command = ["doveadm", "-c", str(self.root / "dovecot.conf"), "mailbox", "update", "-u", user]
        subprocess.run([*command, "--uid-validity", str(int(time.time()) + 7), folder], check=True, capture_output=True)


def simple_message(
    *,
    sender: str = "Anna Smith <anna@example.org>",
    to: str = "me@example.com",
    subject: str = "Hello",
    extra: str = "",
) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
        f"Message-ID: <{time.monotonic_ns()}@example.org>\r\n{extra}MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nBody text.\r\n"
    ).encode()
