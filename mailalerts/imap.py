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
from imapclient.imap4 import IMAP4WithTimeout
from imapclient.tls import IMAP4_TLS
from imapclient.tls import wrap_socket as tls_wrap_socket

from .headers import NewMail, read_mail
from .models import Security

# Only these header fields are fetched, at most HEADER_BYTES of them: a hostile
# message cannot make us read megabytes.
HEADER_FIELDS = "FROM TO CC SUBJECT DATE MESSAGE-ID IMPORTANCE X-PRIORITY PRIORITY"
HEADER_BYTES = 16384
FETCH_ITEMS = ["RFC822.SIZE", "FLAGS", "BODYSTRUCTURE", f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]<0.{HEADER_BYTES}>"]
FETCH_CHUNK = 100


class MailboxError(Exception):
    """The mailbox could not be read; `str(error)` says why, for the user, and `field`
    names the connection setting to look at ("" when none in particular)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


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


# IPv6 prefixes that carry an IPv4 address (the last 32 bits) to a translator: the
# embedded address is the one reached, so it is the one checked.
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291, deprecated (:: and ::1 included)
# Local-use NAT64 (RFC 8215): a translator inside some network, ours included.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_is_public(address: Address) -> bool:
    """Whether a connection to `address` leaves our networks for a public host.

    IPv6 forms that stand for an IPv4 address (mapped, compatible, NAT64, 6to4) are
    judged by that address: ipaddress calls 64:ff9b::7f00:1 and ::127.0.0.1 global."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in LOCAL_NAT64 or address.is_site_local or address.teredo:
            return False  # Teredo: a tunnel whose far end we cannot judge from here
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in NAT64 or address in IPV4_COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_is_public(embedded)
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def resolve_allowed(host: str, port: int) -> list[str]:
    """The addresses of `host`, looked up once; every one must be public unless
    MAILALERTS_ALLOW_PRIVATE_HOSTS. The connection then goes to these addresses, never to
    a second lookup: a name that answered a public address for the check and answers
    127.0.0.1 a moment later (DNS rebinding) would otherwise reach our own network. A
    mailbox form must not become a way to probe the servers around us (and read their
    banners back)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise MailboxError(_("The server %(host)s was not found (check its name).") % {"host": host}, "host") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.MAILALERTS_ALLOW_PRIVATE_HOSTS:
        for text in addresses:
            address = ipaddress.ip_address(text.split("%")[0])
            if not address_is_public(address):
                raise MailboxError(
                    _("%(host)s is a private or local address (%(address)s); use the server's public name.")
                    % {"host": host, "address": address},
                    "host",
                )
    return addresses


def _dial(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of the checked addresses that answers."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as failure:
            error = failure
    raise error or OSError("no address")


class _PinnedIMAP4(IMAP4WithTimeout):
    def __init__(self, host: str, port: int, timeout: float | None, addresses: list[str]) -> None:
        self._addresses = addresses
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return _dial(self._addresses, self.port, timeout if timeout is not None else self._timeout)


class _PinnedIMAP4TLS(IMAP4_TLS):
    def __init__(self, host: str, port: int, context: ssl.SSLContext, timeout: float | None, addresses: list[str]):
        self._addresses = addresses
        super().__init__(host, port, context, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = _dial(self._addresses, self.port, timeout if timeout is not None else self._timeout)
        # SNI and the certificate check use the name the user typed (self.host).
        return tls_wrap_socket(sock, self.ssl_context, self.host)


class _PinnedIMAPClient(IMAPClient):
    """IMAPClient that connects to addresses already resolved and checked; the host name
    stays the one typed, for TLS (SNI, certificate) on connect and on STARTTLS."""

    def __init__(self, host: str, addresses: list[str], **kwargs) -> None:
        self._addresses = addresses
        super().__init__(host, **kwargs)

    def _create_IMAP4(self):  # IMAPClient's hook, its name
        timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _PinnedIMAP4TLS(self.host, self.port, self.ssl_context, timeout, self._addresses)
        return _PinnedIMAP4(self.host, self.port, timeout, self._addresses)


def checked_addresses(client: IMAPClient) -> list[str]:
    """The addresses `session` resolved, checked and dialed for this client: what tells
    two connections to one server apart from two servers, whatever name was typed."""
    return list(getattr(client, "_addresses", []))


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
        addresses = resolve_allowed(server.host, server.port)
        client = _open(server, addresses)
        _login(client, server.username, server.password)
        yield client
    except MailboxError:
        raise
    except LoginError as error:
        raise MailboxError(
            _("The server refused the login: %(reply)s") % {"reply": _reply(error)}, "password"
        ) from None
    except (ssl.SSLError, ssl.CertificateError) as error:
        if getattr(error, "reason", "") == "WRONG_VERSION_NUMBER" and server.security == Security.TLS:
            # The server answered in clear text: an IMAP greeting, on a port that starts
            # plain and switches to TLS on STARTTLS (usually 143).
            raise MailboxError(
                _("%(where)s did not answer in TLS: this port expects STARTTLS (usually port 143).") % {"where": where},
                "security",
            ) from None
        raise MailboxError(
            _("The secure connection to %(where)s failed: %(error)s") % {"where": where, "error": _tls_reason(error)},
            "security",
        ) from None
    except (socket.gaierror, UnicodeError):  # UnicodeError: a name IDNA cannot encode ("a..b")
        raise MailboxError(
            _("The server %(host)s was not found (check its name).") % {"host": server.host}, "host"
        ) from None
    except ConnectionRefusedError:
        raise MailboxError(_("%(where)s refused the connection (check the port).") % {"where": where}, "port") from None
    except TimeoutError:
        raise MailboxError(
            _("%(where)s did not answer within %(seconds)s seconds.")
            % {"where": where, "seconds": settings.MAILALERTS_TIMEOUT},
            "port",
        ) from None
    except IMAPClientAbortError as error:
        raise MailboxError(
            _("%(where)s does not answer like an IMAP server (%(reply)s).") % {"where": where, "reply": _reply(error)},
            "port",
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


def _open(server: Server, addresses: list[str]) -> IMAPClient:
    timeout = settings.MAILALERTS_TIMEOUT
    if server.security == Security.TLS:
        return _PinnedIMAPClient(
            server.host, addresses, port=server.port, ssl=True, ssl_context=tls_context(), timeout=timeout
        )
    if server.security == Security.PLAIN and not settings.MAILALERTS_ALLOW_PLAIN:
        raise MailboxError(
            _("Choose TLS or STARTTLS: without them the password would cross the network in clear."), "security"
        )
    client = _PinnedIMAPClient(server.host, addresses, port=server.port, ssl=False, timeout=timeout)
    if server.security == Security.STARTTLS:
        if b"STARTTLS" not in client.capabilities():
            _close(client)
            raise MailboxError(_("The server does not offer STARTTLS; choose TLS (usually port 993)."), "security")
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
            _("The folder “%(folder)s” cannot be opened: %(reply)s") % {"folder": folder, "reply": _reply(error)},
            "folder",
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
