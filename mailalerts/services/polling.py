"""Polling mailboxes for new mail and sending the alerts: what beat runs.

    mailalerts_tick()   every 15 s: claim due mailboxes (a lease: one poller per
                        mailbox), enqueue one poll task each; send due quiet-hours summaries
    mailbox_poll()      log in, EXAMINE the folder, fetch headers of UIDs above last_uid;
                        then one transaction: check the lease is still ours, decide each
                        mail's alerts, send them through messaging (charged like any SMS),
                        log them and move last_uid on

The IMAP work happens outside any transaction; the results are recorded in one, so a
crash before it commits leaves last_uid where it was and the next poll does the same
mail again (no alert is lost), and a crash after leaves nothing to do twice.
"""

import datetime as dt
import logging
import uuid
from collections import defaultdict

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from kombu.exceptions import OperationalError

from core.db import bulk_update
from messaging.services.accepting import BatchSend, message_send_batch

from .. import imap
from ..headers import NewMail
from ..models import AlertLog, AlertSettings, AlertStatus, Mailbox, MailFilter, QuietMode
from ..rules import alert_text, filter_matches, in_quiet_hours, quiet_hours_end, summary_text
from ..selectors import alerts_counted
from .configure import mailbox_server

logger = logging.getLogger("smsoffice.mailalerts")
DUPLICATE_WINDOW = dt.timedelta(days=1)  # the same email found again within it sends nothing more
LEASE = dt.timedelta(seconds=300)  # longer than a poll task may run (its hard time limit)
CLAIM_LIMIT = 5000


def mailalerts_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    claimed = mailboxes_claim_due(now=now)
    from ..tasks import poll_mailbox

    for mailbox_id, token in claimed:
        try:
            poll_mailbox.delay(mailbox_id, token)
        except OperationalError as error:
            # The broker is down: the lease runs out and a later tick claims the mailbox again.
            logger.warning("mailbox %s poll not enqueued: %s", mailbox_id, error)
    return {"polls": len(claimed), "summaries": summaries_send(now=now)}


def mailboxes_claim_due(*, now: dt.datetime) -> list[tuple[int, str]]:
    """Lease every due mailbox no one else is polling; returns (id, lease token) pairs."""
    with transaction.atomic():
        ids = list(
            Mailbox.objects.select_for_update(skip_locked=True)
            .filter(active=True, next_poll_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("next_poll_at")
            .values_list("pk", flat=True)[:CLAIM_LIMIT]
        )
        token = uuid.uuid4().hex
        Mailbox.objects.filter(pk__in=ids).update(lease_token=token, lease_until=now + LEASE)
    return [(pk, token) for pk in ids]


def mailbox_poll(*, mailbox_id: int, token: str, now: dt.datetime | None = None) -> str:
    """One poll under the lease `token`; returns what happened ("new:3", "quiet", "failed", ...)."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id, lease_token=token).first()
    if mailbox is None:
        return "not-ours"
    mails: list[NewMail] = []
    left_out = 0
    try:
        with imap.session(mailbox_server(mailbox)) as client:
            state = imap.examine(client, mailbox.folder)
            if state.uidvalidity == mailbox.uidvalidity and state.last_uid > mailbox.last_uid:
                mails, left_out = imap.fetch_new(client, mailbox.last_uid, settings.MAILALERTS_MAX_PER_POLL)
    except imap.MailboxError as error:
        return _record_failure(mailbox_id, token, str(error))
    except SoftTimeLimitExceeded:
        return _record_failure(mailbox_id, token, _("The server took too long to answer."))
    return _record_poll(mailbox_id, token, state, mails, left_out, now or timezone.now())


def _record_poll(
    mailbox_id: int, token: str, state: imap.FolderState, mails: list[NewMail], left_out: int, now: dt.datetime
) -> str:
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().select_related("user").filter(pk=mailbox_id).first()
        if mailbox is None or mailbox.lease_token != token:
            # Deleted meanwhile, or our lease expired and another poll took the mailbox: it records.
            return "not-ours"
        outcome = "quiet"
        if mailbox.uidvalidity != state.uidvalidity:
            # The server renumbered the folder: what is in it now is not news.
            if mailbox.uidvalidity is not None:
                AlertLog.objects.create(
                    user=mailbox.user,
                    mailbox=mailbox,
                    created_at=now,
                    status=AlertStatus.SKIPPED,
                    reason=_("the server renumbered the folder; mail already in it is not alerted"),
                )
            mailbox.uidvalidity, mailbox.last_uid = state.uidvalidity, state.last_uid
            outcome = "rebaselined"
        else:
            new = [mail for mail in mails if mail.uid > mailbox.last_uid]
            if new or left_out:
                alerts_send(mailbox=mailbox, mails=new, left_out=left_out, now=now)
                outcome = f"new:{len(new) + left_out}"
            mailbox.last_uid = max([mailbox.last_uid, state.last_uid, *(mail.uid for mail in new)])
        mailbox.last_poll_at = now
        mailbox.next_poll_at = now + dt.timedelta(seconds=settings.MAILALERTS_POLL_INTERVAL)
        mailbox.failures, mailbox.last_error = 0, ""
        mailbox.lease_token, mailbox.lease_until = "", None
        mailbox.save()
    return outcome


def _record_failure(mailbox_id: int, token: str, error: str) -> str:
    """Back off (interval x 2^failures, at most MAILALERTS_MAX_BACKOFF) and, once, tell the user."""
    now = timezone.now()
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().select_related("user").filter(pk=mailbox_id).first()
        if mailbox is None or mailbox.lease_token != token:
            return "not-ours"
        mailbox.failures += 1
        wait = min(settings.MAILALERTS_POLL_INTERVAL * 2**mailbox.failures, settings.MAILALERTS_MAX_BACKOFF)
        mailbox.next_poll_at = now + dt.timedelta(seconds=wait)
        mailbox.last_error, mailbox.last_poll_at = error[:500], now
        mailbox.lease_token, mailbox.lease_until = "", None
        if mailbox.failures == settings.MAILALERTS_FAILURES_NOTICE:  # once per run of failures
            transaction.on_commit(lambda: _notify_failing(mailbox))
        mailbox.save()
    logger.info("mailbox %s poll failed (%s in a row): %s", mailbox_id, mailbox.failures, error)
    return "failed"


def _notify_failing(mailbox: Mailbox) -> None:
    user = mailbox.user
    if not user.email:
        return
    with override(user.language):
        subject = _("Mail alerts: “%(name)s” cannot be read") % {"name": mailbox.name}
        body = _(
            "SMS Office has failed %(count)s times in a row to read the mailbox “%(name)s” "
            "(%(user)s on %(host)s):\n\n%(error)s\n\nWe keep trying, less often. Check its settings "
            "on the Mail alerts page."
        ) % {
            "count": mailbox.failures,
            "name": mailbox.name,
            "user": mailbox.username,
            "host": mailbox.host,
            "error": mailbox.last_error,
        }
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])
    except OSError as error:  # smtplib errors are OSErrors: the page still shows the failure
        logger.warning("could not email user %s about mailbox %s: %s", user.pk, mailbox.pk, error)


def alerts_send(*, mailbox: Mailbox, mails: list[NewMail], left_out: int, now: dt.datetime) -> list[AlertLog]:
    """Decide and send the alerts for new `mails` (in the caller's transaction); log each.

    Per mail: an alert to the user's mobile when the mailbox alerts for all mail, and one
    per matching filter (in order, until a filter that stops) to its number; one SMS per
    number. Then quiet hours (held for the summary, or dropped) and the caps, counted
    under a lock on the user's settings so that two mailboxes polled at once cannot
    exceed them.
    """
    user = mailbox.user
    AlertSettings.objects.get_or_create(user=user)
    prefs = AlertSettings.objects.select_for_update().get(user=user)
    filters = list(MailFilter.objects.filter(user=user, active=True))
    quiet = in_quiet_hours(prefs, now, user.time_zone)
    hour_count, day_count = alerts_counted(user=user, now=now)
    # One email, one SMS per number within a day, whichever of the user's mailboxes
    # brought it (an alias, a copy in a second account): what was already sent or held.
    already = {
        (key, to): name
        for key, to, name in AlertLog.objects.filter(
            user=user,
            mail_key__in={mail.identity for mail in mails},
            status__in=[AlertStatus.SENT, AlertStatus.HELD, AlertStatus.SUMMARIZED],
            created_at__gt=now - DUPLICATE_WINDOW,
        ).values_list("mail_key", "to", "mailbox__name")
    }
    logs: list[AlertLog] = []
    sends: list[BatchSend] = []

    def log(mail: NewMail | None, status: str, reason: str = "", filter_name: str = "", to: str = "") -> AlertLog:
        entry = AlertLog(
            user=user,
            mailbox=mailbox,
            created_at=now,
            uid=mail.uid if mail else None,
            sender=mail.sender[:200] if mail else "",
            subject=mail.subject[:200] if mail else "",
            filter_name=filter_name,
            to=to,
            status=status,
            reason=reason[:300],
            mail_key=mail.identity if mail else "",
        )
        logs.append(entry)
        return entry

    if left_out:
        log(
            None,
            AlertStatus.SKIPPED,
            _("%(count)s more new emails not read: more than %(max)s arrived between two checks")
            % {"count": left_out, "max": settings.MAILALERTS_MAX_PER_POLL},
        )
    by_key: dict[str, AlertLog] = {}
    for mail in mails:
        targets = alert_targets(mailbox, filters, mail)
        if not targets:
            log(mail, AlertStatus.SKIPPED, _("no filter matched"))
            continue
        for filter_name, to in targets:
            if not to:
                log(mail, AlertStatus.SKIPPED, _("no mobile number in your personal data"), filter_name)
            elif (mail.identity, to) in already:
                reason = _("already sent for this email (mailbox “%(name)s”)") % {
                    "name": already[mail.identity, to] or "?"
                }
                log(mail, AlertStatus.SKIPPED, reason, filter_name, to)
            elif quiet and prefs.quiet_mode == QuietMode.SUMMARY:
                # The status says it all ("held for the quiet-hours summary"): no reason.
                already[mail.identity, to] = mailbox.name
                log(mail, AlertStatus.HELD, "", filter_name, to)
            elif quiet:
                log(mail, AlertStatus.SKIPPED, _("quiet hours"), filter_name, to)
            elif hour_count >= prefs.max_per_hour:
                reason = _("the cap of %(max)s alert SMS per hour is reached") % {"max": prefs.max_per_hour}
                log(mail, AlertStatus.SKIPPED, reason, filter_name, to)
            elif day_count >= prefs.max_per_day:
                reason = _("the cap of %(max)s alert SMS per day is reached") % {"max": prefs.max_per_day}
                log(mail, AlertStatus.SKIPPED, reason, filter_name, to)
            else:
                already[mail.identity, to] = mailbox.name
                entry = log(mail, AlertStatus.SENT, "", filter_name, to)
                key = str(len(logs))
                by_key[key] = entry
                mailbox_name = mailbox.name if mailbox.name_in_sms else ""
                with override(user.language):
                    body = alert_text(mail, filter_name, mailbox_name)
                sends.append(BatchSend(key=key, user=user, to=to, body=body))
                hour_count, day_count = hour_count + 1, day_count + 1
    _apply_outcomes(message_send_batch(sends=sends, now=now) if sends else {}, by_key)
    AlertLog.objects.bulk_create(logs)
    if prefs.summary_due_at is None and any(entry.status == AlertStatus.HELD for entry in logs):
        prefs.summary_due_at = quiet_hours_end(prefs, now, user.time_zone)
        prefs.save(update_fields=["summary_due_at"])
    return logs


def alert_targets(mailbox: Mailbox, filters: list[MailFilter], mail: NewMail) -> list[tuple[str, str]]:
    """(filter name, number) pairs for one mail: "" names the all-mail alert, "" numbers no mobile."""
    own = mailbox.user.mobile
    targets: dict[str, str] = {}
    if mailbox.notify_all:
        targets[own] = ""
    for mail_filter in filters:
        if filter_matches(mail_filter, mail):
            targets.setdefault(mail_filter.notify_to or own, mail_filter.name)
            if mail_filter.stop:
                break
    return [(name, number) for number, name in targets.items()]


def _apply_outcomes(outcomes: dict, by_key: dict[str, AlertLog]) -> None:
    for key, outcome in outcomes.items():
        entry = by_key[key]
        if isinstance(outcome, str):
            entry.status, entry.reason = AlertStatus.FAILED, outcome[:300]
        else:
            entry.message = outcome


def summaries_send(*, now: dt.datetime) -> int:
    """One SMS per number for the mail held back in quiet hours that have now ended."""
    sent = 0
    for prefs_id in AlertSettings.objects.filter(summary_due_at__lte=now).values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            prefs = (
                AlertSettings.objects.select_for_update(skip_locked=True)
                .select_related("user")
                .filter(pk=prefs_id, summary_due_at__lte=now)
                .first()
            )
            if prefs is None:
                continue  # another tick has it
            sent += _send_summary(prefs, now)
    return sent


def _send_summary(prefs: AlertSettings, now: dt.datetime) -> int:
    user = prefs.user
    held = list(AlertLog.objects.filter(user=user, status=AlertStatus.HELD).order_by("created_at", "id"))
    by_number: dict[str, list[AlertLog]] = defaultdict(list)
    for entry in held:
        by_number[entry.to].append(entry)
    # The summary is an alert SMS like the others: it counts toward the caps, and a cap
    # already reached stops it (its emails are logged as skipped, with the cap).
    hour_count, day_count = alerts_counted(user=user, now=now)
    capped: dict[str, str] = {}
    sends = []
    for to, entries in by_number.items():
        if hour_count >= prefs.max_per_hour:
            capped[to] = _("the cap of %(max)s alert SMS per hour is reached") % {"max": prefs.max_per_hour}
            continue
        if day_count >= prefs.max_per_day:
            capped[to] = _("the cap of %(max)s alert SMS per day is reached") % {"max": prefs.max_per_day}
            continue
        hour_count, day_count = hour_count + 1, day_count + 1
        with override(user.language):
            body = summary_text(len({e.mail_key or (e.mailbox_id, e.uid) for e in entries}), _last(entries[-1]))
        sends.append(BatchSend(key=to, user=user, to=to, body=body))
    outcomes = message_send_batch(sends=sends, now=now) if sends else {}
    for to, entries in by_number.items():
        outcome = outcomes.get(to)
        for entry in entries:
            if to in capped:
                entry.status, entry.reason = AlertStatus.SKIPPED, capped[to]
            elif isinstance(outcome, str):
                entry.status, entry.reason = AlertStatus.FAILED, outcome[:300]
            else:
                entry.status, entry.message = AlertStatus.SUMMARIZED, outcome
    bulk_update(held, ["status", "reason", "message"])
    prefs.summary_due_at = None
    prefs.save(update_fields=["summary_due_at"])
    return sum(1 for outcome in outcomes.values() if not isinstance(outcome, str))


def _last(entry: AlertLog) -> str:
    return f"{entry.sender}: {entry.subject}" if entry.subject else entry.sender
