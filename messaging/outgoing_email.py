"""The email copy of a Messages tool message: plain text and HTML, from the user.

From carries the user's name with the site's own address (DEFAULT_FROM_EMAIL): mail
servers check that the sending domain may send for the From address (SPF, DMARC),
so we do not write the user's own address there. Reply-To is the user: replies
reach them.
"""

import unicodedata
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .models import Delivery


def broadcast_email(*, delivery: Delivery) -> EmailMultiAlternatives:
    broadcast = delivery.broadcast
    user = broadcast.user
    sender_name = one_line(user.get_full_name())
    site_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    context = {"body": broadcast.body, "sender": sender_name, "subject": broadcast.subject}
    email = EmailMultiAlternatives(
        subject=one_line(broadcast.subject),
        body=render_to_string("messaging/email/broadcast.txt", context),
        from_email=formataddr((sender_name, site_address)),
        to=[formataddr((one_line(delivery.name), delivery.address))],
        reply_to=[formataddr((sender_name, user.email))],
        headers={"Message-ID": make_msgid(domain=site_address.rpartition("@")[2] or None)},
    )
    email.attach_alternative(render_to_string("messaging/email/broadcast.html", context), "text/html")
    return email


def one_line(text: str) -> str:
    """Header text on one line: a line break would start another header (header injection)."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())
