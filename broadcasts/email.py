"""The email copy of a Messages tool message: plain text and HTML, sent for the user.

From is the installation's own address (DEFAULT_FROM_EMAIL) under the name "<user's
name> via SMS Office", as mailing lists write it: mail servers check that the sending
domain may send for the From address (SPF, DMARC), and a user's free-typed name must
not pass for a sender it is not ("PayPal Security Team" arrives as "PayPal Security
Team via SMS Office"). Reply-To is the user's own address (their Personal data):
replies reach them. The text ends with their name too.
"""

import unicodedata
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.models import User

from .models import Delivery


def broadcast_email(*, delivery: Delivery) -> EmailMultiAlternatives:
    broadcast = delivery.broadcast
    user = broadcast.user
    sender_name = one_line(user.get_full_name())
    site_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    context = {"body": broadcast.body, "sender": sender_name, "subject": broadcast.subject}
    email = EmailMultiAlternatives(
        subject=one_line(broadcast.subject),
        body=render_to_string("broadcasts/email/broadcast.txt", context),
        from_email=formataddr((relayed_name(user), site_address)),
        to=[formataddr((one_line(delivery.name), delivery.address))],
        reply_to=[formataddr((sender_name, user.email))],
        headers={"Message-ID": make_msgid(domain=site_address.rpartition("@")[2] or None)},
    )
    email.attach_alternative(render_to_string("broadcasts/email/broadcast.html", context), "text/html")
    return email


def relayed_name(user: User) -> str:
    """The user's name marked as relayed by this installation: what From (email) and a fax cover show."""
    site = parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or "SMS Office"
    return _("%(name)s via %(site)s") % {"name": one_line(user.get_full_name()), "site": one_line(site)}


def one_line(text: str) -> str:
    """Header text on one line: a line break would start another header (header injection)."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())
