"""Sender IDs: asked for by an organisation's owners and admins (or a user outside any
organisation), approved or refused by an installation administrator.

    sender_id_request()   a name checked (senders.sender_id_problem) and stored as requested
    sender_id_decide()    approved or refused, with who, when and (for a refusal) why

Which sender a send uses, and who falls back to the number, is planning's (planning.py).
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import MANAGING_ROLES, Membership, User
from accounts.selectors import membership_of

from ..models import SenderId
from ..senders import sender_id_problem


class SenderIdRefused(ValueError):
    """The request or decision was refused, with the reason; nothing was stored."""


def may_request_sender_ids(membership: Membership | None) -> bool:
    """Owners and admins ask for their organisation's sender IDs; a user outside any, for their own."""
    return membership is None or membership.role in MANAGING_ROLES


def sender_id_request(*, user: User, name: str, now: dt.datetime) -> SenderId:
    """Ask for `name` for the user's organisation (owners and admins only) or, outside any
    organisation, for the user. Raises SenderIdRefused with the reason; stores nothing then."""
    if problem := sender_id_problem(name):
        raise SenderIdRefused(problem)
    membership = membership_of(user=user)
    if not may_request_sender_ids(membership):
        raise SenderIdRefused(
            _("Only the owners and admins of %(organisation)s ask for its sender IDs.")
            % {"organisation": membership.organisation.name}
        )
    owner = {"organisation": membership.organisation} if membership else {"user": user}
    if SenderId.objects.filter(**owner, name__iexact=name).exists():
        raise SenderIdRefused(_("“%(name)s” has been asked for already.") % {"name": name})
    try:
        with transaction.atomic():
            return SenderId.objects.create(name=name, requested_by=user, requested_at=now, **owner)
    except IntegrityError:  # the same name asked for at the same moment by another admin
        raise SenderIdRefused(_("“%(name)s” has been asked for already.") % {"name": name}) from None


def sender_id_decide(*, sender_id: SenderId, approve: bool, by: User, reason: str = "", now: dt.datetime) -> SenderId:
    """Approve or refuse a sender ID (again, if an administrator changes their mind); a refusal
    says why. Only staff decide."""
    if not (by.is_staff or by.is_superuser):
        raise SenderIdRefused(_("Only an installation administrator approves sender IDs."))
    reason = reason.strip()
    if not approve and not reason:
        raise SenderIdRefused(_("Say why the sender ID is refused: the person who asked reads it."))
    with transaction.atomic():
        sender_id = SenderId.objects.select_for_update().get(pk=sender_id.pk)
        sender_id.status = SenderId.Status.APPROVED if approve else SenderId.Status.REFUSED
        sender_id.decided_by, sender_id.decided_at = by, now
        sender_id.reason = "" if approve else reason[:200]
        sender_id.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return sender_id
