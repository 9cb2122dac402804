"""Mail alerts: connecting mailboxes, filters, quiet hours and caps (every write but polling).

Polling and the alerts it sends are in polling.py.
"""

import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phones import PhoneNumberError, parse_number
from core.db import bulk_update

from .. import crypto, imap
from ..models import AddressTest, AlertSettings, Mailbox, MailFilter, Match, QuietMode, Security
from ..rules import criteria_of

MAX_MAILBOXES = 10  # per user
MAX_FILTERS = 50  # per user
MAX_PER_HOUR, MAX_PER_DAY = 1000, 10_000  # the highest caps a user may set
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")


class MailAlertError(ValueError):
    """Refused input; `field` names the form field, `str(error)` says why."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def mailbox_connect(
    *,
    user: User,
    name: str,
    host: str,
    port: int,
    security: str,
    username: str,
    password: str,
    folder: str = "INBOX",
    notify_all: bool = True,
    name_in_sms: bool = False,
    now: dt.datetime | None = None,
) -> Mailbox:
    """Check the connection, then save the mailbox, positioned after the mail already there.

    Raises MailAlertError (with the field to look at, where the server's answer points at
    one); nothing is saved then.
    """
    if Mailbox.objects.filter(user=user).count() >= MAX_MAILBOXES:
        raise MailAlertError(_("You can watch at most %(max)s mailboxes.") % {"max": MAX_MAILBOXES})
    mailbox = Mailbox(user=user)
    _set_connection(mailbox, name, host, port, security, username, folder)
    if not password:
        raise MailAlertError(_("Enter the password (or an app password)."), "password")
    mailbox.notify_all, mailbox.name_in_sms = notify_all, name_in_sms
    _connect_and_position(mailbox, password, now or timezone.now())
    mailbox.save()
    return mailbox


def mailbox_update(
    *,
    mailbox: Mailbox,
    name: str,
    host: str,
    port: int,
    security: str,
    username: str,
    password: str = "",
    folder: str = "INBOX",
    notify_all: bool = True,
    name_in_sms: bool = False,
    active: bool = True,
    now: dt.datetime | None = None,
) -> Mailbox:
    """Change a mailbox; an empty password keeps the stored one. A changed connection is
    checked again, and a different account or folder starts again from its current mail."""
    account = (mailbox.host, mailbox.username, mailbox.folder)
    connection = (*account, mailbox.port, mailbox.security)
    _set_connection(mailbox, name, host, port, security, username, folder)
    mailbox.notify_all, mailbox.name_in_sms, mailbox.active = notify_all, name_in_sms, active
    if (mailbox.host, mailbox.username, mailbox.folder) != account:
        mailbox.uidvalidity = None  # another account or folder: its mail so far is not new
    if password or (mailbox.host, mailbox.username, mailbox.folder, mailbox.port, mailbox.security) != connection:
        _connect_and_position(mailbox, password, now or timezone.now())
    elif active and mailbox.next_poll_at is None:
        mailbox.next_poll_at = now or timezone.now()
    mailbox.save()
    return mailbox


def mailbox_server(mailbox: Mailbox, password: str = "") -> imap.Server:
    """How to reach `mailbox`, with `password` or else the stored one.

    Raises imap.MailboxError when the stored password cannot be decrypted any more (its
    key was removed from MAILBOX_PASSWORD_KEYS).
    """
    if not password:
        try:
            password = crypto.decrypt(mailbox.password_encrypted)
        except crypto.PasswordUnreadable:
            raise imap.MailboxError(_("The stored password cannot be read any more: enter it again.")) from None
    return imap.Server(
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=password,
    )


def mailbox_test(*, mailbox: Mailbox) -> imap.FolderState:
    """Connect now with the stored settings; raises imap.MailboxError with the reason."""
    with imap.session(mailbox_server(mailbox)) as client:
        return imap.examine(client, mailbox.folder)


def mailbox_delete(*, mailbox: Mailbox) -> None:
    mailbox.delete()


def _set_connection(mailbox: Mailbox, name: str, host: str, port: int, security: str, username: str, folder: str):
    name, host, username, folder = name.strip(), host.strip().lower(), username.strip(), folder.strip()
    if not name:
        raise MailAlertError(_("Give the mailbox a name."), "name")
    if not _HOST.match(host):
        raise MailAlertError(_("Give the IMAP server's name, e.g. imap.example.com."), "host")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise MailAlertError(_("The port is a number from 1 to 65535 (993 for TLS, 143 for STARTTLS)."), "port")
    if security not in Security.values:
        raise MailAlertError(_("Choose TLS or STARTTLS."), "security")
    # The two well-known ports speak one way only: say so before trying.
    if security == Security.STARTTLS and port == 993:
        raise MailAlertError(_("Port 993 is for TLS: choose TLS, or port 143 for STARTTLS."), "port")
    if security == Security.TLS and port == 143:
        raise MailAlertError(_("Port 143 expects STARTTLS: choose STARTTLS, or port 993 for TLS."), "port")
    for field, value in (("name", name), ("username", username), ("folder", folder)):
        if _has_control(value):
            raise MailAlertError(_("Remove the control characters."), field)
    if not username:
        raise MailAlertError(_("Enter the user name (often the email address)."), "username")
    if not folder:
        raise MailAlertError(_("Give the folder to watch (INBOX for the inbox)."), "folder")
    if folder.upper() == "INBOX":
        folder = "INBOX"  # the one folder name IMAP compares in any case (RFC 3501)
    mailbox.name, mailbox.host, mailbox.port, mailbox.security = name[:60], host, port, security
    mailbox.username, mailbox.folder = username[:254], folder[:200]


def _connect_and_position(mailbox: Mailbox, password: str, now: dt.datetime) -> None:
    """Log in (with `password`, or the stored one when empty) and open the folder; mail
    already there never alerts (unless the folder is unchanged)."""
    if _has_control(password) or len(password) > 1000:
        raise MailAlertError(_("The password has characters an IMAP login cannot carry."), "password")
    try:
        server = mailbox_server(mailbox, password)
        with imap.session(server) as client:
            state = imap.examine(client, mailbox.folder)
            addresses = imap.checked_addresses(client)
    except imap.MailboxError as error:
        raise MailAlertError(str(error), error.field) from None
    mailbox.server_addresses = " ".join(addresses)[:500]
    _refuse_duplicate(mailbox)
    if mailbox.uidvalidity != state.uidvalidity:
        mailbox.uidvalidity, mailbox.last_uid = state.uidvalidity, state.last_uid
    mailbox.password_encrypted = crypto.encrypt(server.password)
    mailbox.failures, mailbox.last_error = 0, ""
    mailbox.next_poll_at = now + dt.timedelta(seconds=settings.MAILALERTS_POLL_INTERVAL) if mailbox.active else None
    mailbox.lease_token, mailbox.lease_until = "", None


def _refuse_duplicate(mailbox: Mailbox) -> None:
    """One account and folder is watched once: two connections to it would send each email
    twice. Same server (the name typed, or an address both names resolved to, as checked
    when connecting), port, user name (in any case) and folder."""
    addresses = set(mailbox.server_addresses.split())
    others = Mailbox.objects.filter(
        user_id=mailbox.user_id, port=mailbox.port, username__iexact=mailbox.username, folder=mailbox.folder
    ).exclude(pk=mailbox.pk)
    for other in others.only("name", "host", "server_addresses"):
        if other.host == mailbox.host or addresses & set(other.server_addresses.split()):
            raise MailAlertError(
                _("This account and folder is already connected as “%(name)s”.") % {"name": other.name}, "username"
            )


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


# Filters --------------------------------------------------------------------------------


def mail_filter_save(
    *,
    user: User,
    name: str,
    match: str = Match.ALL,
    sender_test: str = AddressTest.CONTAINS,
    sender: str = "",
    recipient_test: str = AddressTest.CONTAINS,
    recipient: str = "",
    subject: str = "",
    has_attachment: bool = False,
    size_over_kb: int | None = None,
    important: bool = False,
    notify_to: str = "",
    stop: bool = False,
    active: bool = True,
    mail_filter: MailFilter | None = None,
) -> MailFilter:
    """Create or change a filter; a new one goes last. Raises MailAlertError naming the field."""
    if mail_filter is None and MailFilter.objects.filter(user=user).count() >= MAX_FILTERS:
        raise MailAlertError(_("You can have at most %(max)s filters.") % {"max": MAX_FILTERS})
    item = mail_filter or MailFilter(user=user)
    values = {"name": name, "sender": sender, "recipient": recipient, "subject": subject}
    for field, value in values.items():
        if _has_control(value):
            raise MailAlertError(_("Remove the control characters."), field)
    item.name, item.sender, item.recipient, item.subject = (value.strip() for value in values.values())
    if not item.name:
        raise MailAlertError(_("Give the filter a name."), "name")
    if match not in Match.values or sender_test not in AddressTest.values or recipient_test not in AddressTest.values:
        raise MailAlertError(_("Choose one of the options offered."), "match")
    item.match, item.sender_test, item.recipient_test = match, sender_test, recipient_test
    for field, test, value in (("sender", sender_test, item.sender), ("recipient", recipient_test, item.recipient)):
        if value and test == AddressTest.DOMAIN and not _HOST.match(value.lstrip("@")):
            raise MailAlertError(_("Give a domain such as example.com."), field)
        if value and test == AddressTest.IS and "@" not in value:
            raise MailAlertError(_("Give a whole address such as anna@example.com."), field)
    if size_over_kb is not None and not 0 <= size_over_kb <= 1_000_000:
        raise MailAlertError(_("Give a size from 0 to 1,000,000 KB."), "size_over_kb")
    item.has_attachment, item.size_over_kb, item.important = has_attachment, size_over_kb, important
    item.stop, item.active = stop, active
    if not criteria_of(item):
        raise MailAlertError(
            _(
                "Give at least one criterion: sender, recipient, words in the subject, an attachment, "
                "a size or importance."
            ),
            "sender",
        )
    item.notify_to = _notify_number(user, notify_to)
    with transaction.atomic():
        if item.pk is None:
            last = MailFilter.objects.filter(user=user).aggregate(last=Max("position"))["last"]
            item.position = 0 if last is None else last + 1
        item.full_clean()
        item.save()
    return item


def _notify_number(user: User, raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        return parse_number(raw, default_region=user.default_country or None, require_mobile=True).e164
    except PhoneNumberError as error:
        raise MailAlertError(str(error), "notify_to") from None


def mail_filter_delete(*, mail_filter: MailFilter) -> None:
    mail_filter.delete()


def mail_filter_move(*, mail_filter: MailFilter, up: bool) -> None:
    """Swap a filter with its neighbour above (or below); positions become 0..n-1."""
    with transaction.atomic():
        filters = list(MailFilter.objects.select_for_update().filter(user_id=mail_filter.user_id))
        index = next(i for i, item in enumerate(filters) if item.pk == mail_filter.pk)
        other = index - 1 if up else index + 1
        if 0 <= other < len(filters):
            filters[index], filters[other] = filters[other], filters[index]
        for position, item in enumerate(filters):
            item.position = position
        bulk_update(filters, ["position"])


# Quiet hours and caps ------------------------------------------------------------------------


def alert_settings_for(*, user: User) -> AlertSettings:
    """The user's settings, or the defaults (not saved) when they never changed them."""
    return AlertSettings.objects.filter(user=user).first() or AlertSettings(user=user)


def alert_settings_save(
    *,
    user: User,
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
    quiet_mode: str = QuietMode.SUMMARY,
    max_per_hour: int = 10,
    max_per_day: int = 50,
) -> AlertSettings:
    if (quiet_start is None) != (quiet_end is None):
        raise MailAlertError(_("Give both the start and the end of the quiet hours, or neither."), "quiet_end")
    if quiet_start is not None and quiet_start == quiet_end:
        raise MailAlertError(_("Quiet hours must end at another time than they start."), "quiet_end")
    if quiet_mode not in QuietMode.values:
        raise MailAlertError(_("Choose one of the options offered."), "quiet_mode")
    if not 1 <= max_per_hour <= MAX_PER_HOUR:
        raise MailAlertError(_("Give a number from 1 to %(max)s.") % {"max": MAX_PER_HOUR}, "max_per_hour")
    if not 1 <= max_per_day <= MAX_PER_DAY:
        raise MailAlertError(_("Give a number from 1 to %(max)s.") % {"max": MAX_PER_DAY}, "max_per_day")
    if max_per_hour > max_per_day:
        raise MailAlertError(_("The cap per hour cannot be above the cap per day."), "max_per_hour")
    with transaction.atomic():
        prefs, _created = AlertSettings.objects.select_for_update().get_or_create(user=user)
        prefs.quiet_start, prefs.quiet_end, prefs.quiet_mode = quiet_start, quiet_end, quiet_mode
        prefs.max_per_hour, prefs.max_per_day = max_per_hour, max_per_day
        prefs.full_clean()
        prefs.save()
    return prefs
