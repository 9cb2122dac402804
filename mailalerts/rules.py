"""Which filters a new mail meets, quiet hours, and the alert SMS text. No writes."""

import datetime as dt
import zoneinfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from messaging import segments

from .headers import NewMail
from .models import AddressTest, AlertSettings, MailFilter, Match

SENDER_SHOWN = 40  # characters of a sender's name kept before the subject is cut


def criteria_of(mail_filter: MailFilter) -> list[str]:
    """The names of the criteria a filter sets (a filter needs at least one)."""
    names = []
    if mail_filter.sender:
        names.append("sender")
    if mail_filter.recipient:
        names.append("recipient")
    if mail_filter.subject:
        names.append("subject")
    if mail_filter.has_attachment:
        names.append("has_attachment")
    if mail_filter.size_over_kb is not None:
        names.append("size_over_kb")
    if mail_filter.important:
        names.append("important")
    return names


def filter_matches(mail_filter: MailFilter, mail: NewMail) -> bool:
    """All or any of the filter's criteria, compared as plain case-insensitive text."""
    results = []
    for name in criteria_of(mail_filter):
        if name == "sender":
            results.append(
                _address_matches(mail_filter.sender_test, mail_filter.sender, [(mail.sender_name, mail.sender_address)])
            )
        elif name == "recipient":
            results.append(_address_matches(mail_filter.recipient_test, mail_filter.recipient, mail.recipients))
        elif name == "subject":
            results.append(mail_filter.subject.casefold() in mail.subject.casefold())
        elif name == "has_attachment":
            results.append(mail.has_attachment)
        elif name == "size_over_kb":
            results.append(mail.size > mail_filter.size_over_kb * 1024)
        elif name == "important":
            results.append(mail.important)
    if not results:
        return False
    return all(results) if mail_filter.match == Match.ALL else any(results)


def _address_matches(test: str, wanted: str, people: list[tuple[str, str]] | tuple) -> bool:
    wanted = wanted.strip().casefold()
    for name, address in people:
        address = address.casefold()
        if test == AddressTest.IS and address == wanted:
            return True
        if test == AddressTest.DOMAIN:
            domain = wanted.lstrip("@")
            host = address.rpartition("@")[2]
            if host == domain or host.endswith("." + domain):
                return True
        if test == AddressTest.CONTAINS and (wanted in address or wanted in name.casefold()):
            return True
    return False


def in_quiet_hours(settings: AlertSettings | None, now: dt.datetime, time_zone: str) -> bool:
    if settings is None or settings.quiet_start is None or settings.quiet_end is None:
        return False
    local = now.astimezone(zoneinfo.ZoneInfo(time_zone)).time().replace(tzinfo=None)
    start, end = settings.quiet_start, settings.quiet_end
    if start == end:
        return False
    if start < end:  # 12:00-14:00
        return start <= local < end
    return local >= start or local < end  # 22:00-07:00 spans midnight


def quiet_hours_end(settings: AlertSettings, now: dt.datetime, time_zone: str) -> dt.datetime:
    """The next local `quiet_end` after `now`, in UTC (a time skipped by DST moves forward)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    local = now.astimezone(zone)
    for days in (0, 1, 2):
        day = local.date() + dt.timedelta(days=days)
        candidate = dt.datetime.combine(day, settings.quiet_end, tzinfo=zone)
        # Round-trip through UTC: a wall time in the spring-forward gap becomes a real instant.
        candidate = candidate.astimezone(dt.UTC)
        if candidate > now:
            return candidate
    return now + dt.timedelta(days=1)


LABEL_SHOWN = 20  # characters of a filter (or mailbox) name kept, cut at a word


def alert_text(mail: NewMail, filter_name: str = "", mailbox_name: str = "") -> str:
    """ "Mail from Anna Smith: Quarterly report" in one SMS part, after "[Work: Invoices] "
    when the user asked for the mailbox name or a filter sent it.

    The subject says most: the label gives way first (whole, then cut at a word, then the
    filter's name left out), and only a subject still too long is cut, at a word.
    """
    sender = mail.sender or _("unknown sender")
    if len(sender) > SENDER_SHOWN:
        sender = sender[: SENDER_SHOWN - 3].rstrip() + "..."
    head = _("Mail from %(sender)s") % {"sender": sender}
    subject = mail.subject or _("(no subject)")
    mailbox_label = _cut_at_word(mailbox_name, LABEL_SHOWN)
    candidates = [
        (mailbox_name, filter_name),
        (mailbox_label, _cut_at_word(filter_name, LABEL_SHOWN)),
        (mailbox_label, ""),
    ]
    for names in candidates:
        label = ": ".join(name for name in names if name)
        text = f"[{label}] {head}: {subject}" if label else f"{head}: {subject}"
        if segments.count(text).segments <= 1:
            return text
    label = mailbox_label
    return fit_one_part(f"[{label}] {head}" if label else head, subject)


def _cut_at_word(text: str, length: int) -> str:
    """`text` if short enough, else its words that fit in `length` characters ("" if none)."""
    text = text.strip()
    if len(text) <= length:
        return text
    keep = text[: length + 1]
    space = keep.rfind(" ")
    return keep[:space].rstrip(" -_,.:;") if space > 0 else ""


def summary_text(count: int, last: str) -> str:
    text = ngettext("Quiet hours: %(count)s new email.", "Quiet hours: %(count)s new emails.", count) % {"count": count}
    return fit_one_part(text, _("Last: %(last)s") % {"last": last}, separator=" ")


def fit_one_part(head: str, tail: str, separator: str = ": ") -> str:
    """`head + separator + tail`, with the tail cut at a word (and "...") to fit one SMS part."""
    whole = f"{head}{separator}{tail}"
    if segments.count(whole).segments <= 1:
        return whole
    low, high = 0, len(tail)
    while low < high:  # the longest cut of the tail that still fits
        middle = (low + high + 1) // 2
        if segments.count(f"{head}{separator}{_cut(tail, middle)}").segments <= 1:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        return _cut(head, 60)
    return f"{head}{separator}{_cut(tail, low)}"


def _cut(text: str, length: int) -> str:
    """At most `length` characters ending in "...", at a space when one is near."""
    if len(text) <= length:
        return text
    keep = text[: max(length - 3, 0)]
    space = keep.rfind(" ")
    if space >= len(keep) - 15 and space > 0:
        keep = keep[:space]
    return keep.rstrip() + "..."
