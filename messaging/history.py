"""Messaging's words for its sends on the credit history (credits.history)."""

from django.db.models import Count, Min
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.phones import format_international
from credits.history import Description

from .models import Message


def describe_messages(ids: list[int]) -> dict[int, Description]:
    """ "SMS to 3 recipients" or "SMS to +32 475 12 34 56", linked to the message page."""
    rows = Message.objects.filter(pk__in=ids).annotate(count=Count("recipients"), first=Min("recipients__to"))
    described = {}
    for message in rows.values("pk", "count", "first"):
        if message["count"] == 1:
            words = _("SMS to %(number)s") % {"number": format_international(message["first"])}
        else:
            words = ngettext("SMS to %(count)s recipient", "SMS to %(count)s recipients", message["count"]) % {
                "count": message["count"]
            }
        described[message["pk"]] = Description(words, reverse("sms_detail", args=[message["pk"]]))
    return described
