"""The mail alerts' words for their SMS on the credit history (credits.history)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from credits.history import Description

from .models import AlertLog, AlertStatus


def describe_alerts(ids: list[int]) -> dict[int, Description]:
    """ "Mail alert: Anna Smith: Budget 2027", or the quiet-hours summary, linked to the SMS."""
    by_message: dict[int, list[tuple[str, str, str]]] = {}
    rows = AlertLog.objects.filter(message_id__in=ids).order_by("id")
    for message_id, status, sender, subject in rows.values_list("message_id", "status", "sender", "subject"):
        by_message.setdefault(message_id, []).append((status, sender, subject))
    described = {}
    for message_id, logs in by_message.items():
        if logs[0][0] == AlertStatus.SUMMARIZED:
            words = ngettext(
                "Mail alert: quiet-hours summary of %(count)s email",
                "Mail alert: quiet-hours summary of %(count)s emails",
                len(logs),
            ) % {"count": len(logs)}
        else:
            _status, sender, subject = logs[0]
            words = _("Mail alert: %(sender)s: %(subject)s") % {
                "sender": sender or _("unknown sender"),
                "subject": subject or _("(no subject)"),
            }
        described[message_id] = Description(words, reverse("sms_detail", args=[message_id]))
    return described
