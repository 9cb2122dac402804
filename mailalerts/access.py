"""Fetch a mailbox or filter *and* check it is the user's: otherwise 404."""

from django.shortcuts import get_object_or_404

from accounts.models import User

from .models import Mailbox, MailFilter


def access_mailbox(user: User, mailbox_id: int) -> Mailbox:
    return get_object_or_404(Mailbox.objects.filter(user=user), pk=mailbox_id)


def access_mail_filter(user: User, filter_id: int) -> MailFilter:
    return get_object_or_404(MailFilter.objects.filter(user=user), pk=filter_id)
