"""Telling users that replies came: by email (default) and, if they chose it, by SMS.

    replies_notify_due()    the sweep's step: replies nobody was told about yet, claimed
                            (notified_at set, SKIP LOCKED) and handed to a worker in batches
    replies_notify()        the worker: one email and/or one SMS a user for a batch
    reply_preferences_save()   the user's choice

Nothing is published from the webhook's request: a broker that is down loses no
notification, and the webhook stays one SQL statement (bench/incoming_sms.py). Each
reply is claimed before anyone is told: at most once.
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.phones import format_international

from ..inbox import contact_names
from ..models import IncomingSMS, ReplyPreferences
from .accepting import BatchSend, message_send_batch

logger = logging.getLogger("smsoffice.sms")
NOTIFY_CHUNK = 500
SMS_EXCERPT = 100  # characters of a reply quoted in the notification SMS


def replies_notify_due(*, now: dt.datetime) -> int:
    """Claim the replies whose user was not told yet and enqueue them after commit. Returns how many."""
    with transaction.atomic():
        ids = list(
            IncomingSMS.objects.select_for_update(skip_locked=True)
            .filter(notified_at__isnull=True, user__isnull=False)
            .order_by("id")
            .values_list("pk", flat=True)[: settings.SMS_SWEEP_BATCH]
        )
        if ids:
            IncomingSMS.objects.filter(pk__in=ids).update(notified_at=now)
            transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def _enqueue(ids: list[int]) -> None:
    from ..tasks import notify_replies

    try:
        for start in range(0, len(ids), NOTIFY_CHUNK):
            notify_replies.delay(ids[start : start + NOTIFY_CHUNK])
    except Exception:  # the broker is down: these users are not told (the replies are on their pages)
        logger.warning("could not enqueue the notification of %s replies", len(ids), exc_info=True)


def replies_notify(*, ids: Sequence[int], now: dt.datetime | None = None) -> dict[str, int]:
    """Tell each user of these replies, by their preferences. Returns {"emails": n, "sms": n}."""
    now = now or timezone.now()
    by_user: dict[int, list[IncomingSMS]] = defaultdict(list)
    users: dict[int, User] = {}
    for reply in IncomingSMS.objects.filter(pk__in=ids, user__isnull=False).select_related("user").order_by("id"):
        by_user[reply.user_id].append(reply)
        users[reply.user_id] = reply.user
    preferences = {p.user_id: p for p in ReplyPreferences.objects.filter(user_id__in=list(users))}
    emails, sms = 0, []
    for user_id, replies in by_user.items():
        user = users[user_id]
        choice = preferences.get(user_id) or ReplyPreferences(user=user)
        with translation.override(user.language or None):
            names = contact_names(user, {r.from_number for r in replies})
            lines = [f"{_who(r, names)}: {r.text}" for r in replies]
            if choice.by_email and user.email:
                subject = ngettext(
                    "SMS reply from %(who)s", "%(count)s SMS replies, the last from %(who)s", len(replies)
                ) % {"who": _who(replies[-1], names), "count": len(replies)}
                body = "\n\n".join(lines) + "\n\n" + _("Open Replies to read and answer them.")
                send_mail(subject, body, None, [user.email])
                emails += 1
            if choice.by_sms and user.mobile:
                text = "\n".join(line[:SMS_EXCERPT] for line in lines[-3:])
                sms.append(BatchSend(key=str(user_id), user=user, to=user.mobile, body=text))
    if sms:
        with transaction.atomic():
            results = message_send_batch(sends=sms, now=now)
        for key, result in results.items():
            if isinstance(result, str):
                logger.info("reply notification SMS for user %s not sent: %s", key, result)
    return {"emails": emails, "sms": len(sms)}


def _who(reply: IncomingSMS, names: dict[str, str]) -> str:
    return names.get(reply.from_number) or format_international(reply.from_number)


def reply_preferences_save(*, user: User, by_email: bool, by_sms: bool) -> ReplyPreferences:
    preferences, _created = ReplyPreferences.objects.update_or_create(
        user=user, defaults={"by_email": by_email, "by_sms": by_sms}
    )
    return preferences
