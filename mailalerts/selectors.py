"""Reads for the mail alerts pages."""

from django.db.models import QuerySet

from accounts.models import User

from .models import AlertLog, Mailbox, MailFilter


def mailboxes_of(*, user: User) -> QuerySet[Mailbox]:
    return Mailbox.objects.filter(user=user).defer("password_encrypted")


def mail_filters_of(*, user: User) -> QuerySet[MailFilter]:
    return MailFilter.objects.filter(user=user)


def alert_log(*, user: User) -> QuerySet[AlertLog]:
    return AlertLog.objects.filter(user=user).select_related("mailbox")
