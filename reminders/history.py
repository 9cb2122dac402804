"""The reminders' words for their SMS on the credit history (credits.history)."""

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from credits.history import Description

from .models import AgendaFiring, ReminderFiring


def describe_reminders(ids: list[int]) -> dict[int, Description]:
    """ "Reminder: Dentist" and "Agenda: <day>", linked to the SMS."""
    described = {}
    for message_id, title in ReminderFiring.objects.filter(message_id__in=ids).values_list(
        "message_id", "reminder__event__title"
    ):
        described[message_id] = Description(
            _("Reminder: %(title)s") % {"title": title}, reverse("sms_detail", args=[message_id])
        )
    for message_id, day in AgendaFiring.objects.filter(message_id__in=ids).values_list("message_id", "day"):
        described[message_id] = Description(
            _("Agenda: %(day)s") % {"day": date_format(day, "SHORT_DATE_FORMAT")},
            reverse("sms_detail", args=[message_id]),
        )
    return described
