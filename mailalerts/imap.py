"""Talking to IMAP servers with IMAPClient: connect, check, read new mail headers.

Every failure becomes a MailboxError whose text a user can act on, with the server's own
words where it gave any. Passwords never appear in a message or a log line (IMAPClient
logs LOGIN as **REDACTED**).
"""

import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from .headers import NewMail, read_mail
from .models import Security

# Only these header fields are fetched, at most HEADER_BYTES of them: a hostile
# message cannot make us read megabytes.
HEADER_FIELDS = "FROM TO CC SUBJECT IMPORTANCE X-PRIORITY PRIORITY"
HEADER_BYTES = 16384
FETCH_ITEMS = ["RFC822.SIZE", "FLAGS", "BODYSTRUCTURE", f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]<0.{HEADER_BYTES}>"]
FETCH_CHUNK = 100


class MailboxError(Exception):
    """The mailbox could not be read; `str(error)` says why, for the user."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str
    username: str
    password: str


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int  # the UID the next message will get

    @property
    def last_uid(self) -> int:
        return self.uidnext - 1


def check_host_allowed(host: str, port: int) -> None:
    """Refuse addresses inside our own network unless allowed: a mailbox form must not
    become a way to probe the servers around us (and read their banners back)."""
    if settings.MAILALERTS_ALLOW_PRIVATE_HOSTS:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise MailboxError(_("The server %(host)s was not found (check its name).") % {"host": host}) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise MailboxError(
                _("%(host)s is a private or local address (%(address)s); use the server's public name.")
                % {"host": host, "address": address}
            )


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.MAILALERTS_CA_FILE:
        context.load_verify_locations(cafile=settings.MAILALERTS_CA_FILE)
    return context


@contextmanager
def session(server: Server) -> Iterator[IMAPClient]:
    """A logged-in IMAPClient; any failure, here or in the caller's block, is a MailboxError."""
    where = f"{server.host}:{server.port}"
    client = None
    try:
        check_host_allowed(server.host, server.port)
        client = _open(server)
        _login(client, server.username, server.password)
        yield client
    except MailboxError:
        raise
    except LoginError as error:
        raise MailboxError(_("The server refused the login: %(reply)s") % {"reply": _reply(error)}) from None
    except (ssl.SSLError, ssl.CertificateError) as error:
        raise MailboxError(
            _("The secure connection to %(where)s failed: %(error)s") % {"where": where, "error": _tls_reason(error)}
        ) from None
    except (socket.gaierror, UnicodeError):  # UnicodeError: a name IDNA cannot encode ("a..b")
        raise MailboxError(_("The server %(host)s was not found (check its name).") % {"host": server.host}) from None
    except ConnectionRefusedError:
        raise MailboxError(_("%(where)s refused the connection (check the port).") % {"where": where}) from None
    except TimeoutError:
        raise MailboxError(
            _("%(where)s did not answer within %(seconds)s seconds.")
            % {"where": where, "seconds": settings.MAILALERTS_TIMEOUT}
        ) from None
    except IMAPClientAbortError as error:
        raise MailboxError(
            _("%(where)s does not answer like an IMAP server (%(reply)s).") % {"where": where, "reply": _reply(error)}
        ) from None
    except IMAPClientError as error:
        raise MailboxError(_("The server answered: %(reply)s") % {"reply": _reply(error)}) from None
    except (OSError, EOFError) as error:
        raise MailboxError(
            _("The connection to %(where)s failed: %(error)s") % {"where": where, "error": error}
        ) from None
    finally:
        if client is not None:
            _close(client)


def _open(server: Server) -> IMAPClient:
    timeout = settings.MAILALERTS_TIMEOUT
    if server.security == Security.TLS:
        return IMAPClient(server.host, port=server.port, ssl=True, ssl_context=tls_context(), timeout=timeout)
    if server.security == Security.PLAIN and not settings.MAILALERTS_ALLOW_PLAIN:
        raise MailboxError(_("Choose TLS or STARTTLS: without them the password would cross the network in clear."))
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=timeout)
    if server.security == Security.STARTTLS:
        if b"STARTTLS" not in client.capabilities():
            _close(client)
            raise MailboxError(_("The server does not offer STARTTLS; choose TLS (usually port 993)."))
        client.starttls(tls_context())
    return client


def _login(client: IMAPClient, username: str, password: str) -> None:
    """LOGIN takes ASCII only (imaplib would raise UnicodeEncodeError); a name or password
    with other characters goes as UTF-8 through AUTHENTICATE PLAIN (RFC 4616)."""
    if (username + password).isascii():
        client.login(username, password)
    else:
        client.plain_login(username, password)


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError, EOFError):
        with contextlib.suppress(IMAPClientError, OSError):  # the connection is gone either way
            client.shutdown()


def _reply(error: Exception) -> str:
    """The server's words, without the b'...' wrapping imaplib leaves on them."""
    text = str(error)
    for prefix in ("select failed: ", "examine failed: ", "login failed: "):
        text = text.removeprefix(prefix)
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
        text = text[2:-1]
    return text[:300] or _("no reason given")


def _tls_reason(error: Exception) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return _("the server's certificate is not trusted (%(why)s)") % {"why": error.verify_message}
    return getattr(error, "reason", None) or str(error)[:200]


def examine(client: IMAPClient, folder: str) -> FolderState:
    """Open `folder` read-only (no \\Seen flag changes) and return where its UIDs stand."""
    try:
        info = client.select_folder(folder, readonly=True)
    except IMAPClientAbortError:
        raise
    except IMAPClientError as error:
        raise MailboxError(
            _("The folder “%(folder)s” cannot be opened: %(reply)s") % {"folder": folder, "reply": _reply(error)}
        ) from None
    uidvalidity = info.get(b"UIDVALIDITY")
    if uidvalidity is None:
        raise MailboxError(_("The server gives no UIDVALIDITY for this folder, so new mail cannot be told apart."))
    uidnext = info.get(b"UIDNEXT")
    if uidnext is None:  # optional before IMAP4rev2: the highest UID + 1
        uids = client.search(["ALL"]) if info.get(b"EXISTS") else []
        uidnext = max(uids, default=0) + 1
    return FolderState(uidvalidity=int(uidvalidity), uidnext=int(uidnext))


def fetch_new(client: IMAPClient, after_uid: int, limit: int) -> tuple[list[NewMail], int]:
    """Headers of mail with a UID above `after_uid`, oldest first: at most the `limit` newest.

    Returns them and how many newer-than-`after_uid` messages were left out.
    """
    # "N:*" also matches the last message when every UID is below N (RFC 3501 6.4.8): filter.
    uids = sorted(uid for uid in client.search(["UID", f"{after_uid + 1}:*"]) if uid > after_uid)
    left_out = max(len(uids) - limit, 0)
    uids = uids[left_out:]
    mails = []
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start : start + FETCH_CHUNK]
        for uid, data in sorted(client.fetch(chunk, FETCH_ITEMS).items()):
            mails.append(read_mail(uid, data))
    return mails, left_out
