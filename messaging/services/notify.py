"""Telling a user a reply came: an email (to the address of their account).

reply_notify()      run by a worker after the reply is stored; writes nothing
"""

import logging

from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.phones import format_international

from ..inbox import contact_names
from ..models import IncomingSMS

logger = logging.getLogger("smsoffice.sms")


def reply_notify(*, incoming_id: int) -> bool:
    """Email the reply's user that it came (who wrote and what). Returns whether an email went out."""
    incoming = IncomingSMS.objects.select_related("user").filter(pk=incoming_id).first()
    if incoming is None or incoming.user is None or not incoming.user.email:
        return False
    user = incoming.user
    with translation.override(getattr(user, "language", "") or None):
        who = contact_names(user, [incoming.from_number]).get(incoming.from_number) or format_international(
            incoming.from_number
        )
        subject = _("SMS reply from %(who)s") % {"who": who}
        body = _("%(who)s answered your SMS:\n\n%(text)s\n\nOpen Replies to answer.") % {
            "who": who,
            "text": incoming.text,
        }
    send_mail(subject, body, None, [user.email])
    return True
