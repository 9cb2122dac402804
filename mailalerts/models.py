"""Mailboxes watched for new mail, alert filters, quiet hours and caps, the alert log.

Thin: every write is in the services package (configure.py, polling.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    TLS = "tls", _("TLS (IMAPS, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    # Refused unless MAILALERTS_ALLOW_PLAIN: the password would cross the network in clear.
    PLAIN = "plain", _("none (unencrypted)")


class Mailbox(models.Model):
    """One IMAP account and folder a user watches; the password is stored encrypted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailboxes")
    name = models.CharField(_("name"), max_length=60)
    host = models.CharField(_("IMAP server"), max_length=253)
    port = models.PositiveIntegerField(_("port"))
    security = models.CharField(_("security"), max_length=8, choices=Security.choices, default=Security.TLS)
    username = models.CharField(_("user name"), max_length=254)
    password_encrypted = models.BinaryField(editable=False)  # crypto.encrypt(); never shown back
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    active = models.BooleanField(_("watch this mailbox"), default=True)
    # SMS to the user's own mobile for every new mail (filters may alert as well).
    notify_all = models.BooleanField(_("SMS for every new email"), default=True)
    name_in_sms = models.BooleanField(_("start the SMS with the mailbox name"), default=False)
    # The server's addresses as resolved and checked when the connection was last tested
    # (space-separated): the same account and folder is not connected twice under two names
    # of one server ("localhost" and "127.0.0.1").
    server_addresses = models.CharField(max_length=500, blank=True, editable=False)

    # The folder's position: mail with a UID above last_uid in this UIDVALIDITY is new.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)

    next_poll_at = models.DateTimeField(null=True, blank=True)
    # One poller at a time: a poll holds the lease (token, expiry) until it records its result.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)  # consecutive failed polls
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = _("mailboxes")
        indexes = [models.Index(fields=["next_poll_at"], condition=Q(active=True), name="mailbox_due")]
        constraints = [
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="mailbox_port_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Match(models.TextChoices):
    ALL = "all", _("all of the criteria")
    ANY = "any", _("any of the criteria")


class AddressTest(models.TextChoices):
    CONTAINS = "contains", _("contains")
    IS = "is", _("is")
    DOMAIN = "domain", _("is at the domain")


class MailFilter(models.Model):
    """Notify by SMS for mail that meets the criteria; filters run in `position` order.

    Each criterion is optional; a filter needs at least one (services check it).
    Matching is plain, case-insensitive text comparison: no regular expressions, so no
    header can make matching slow.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_filters")
    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(_("active"), default=True)
    match = models.CharField(_("match"), max_length=3, choices=Match.choices, default=Match.ALL)
    sender_test = models.CharField(max_length=8, choices=AddressTest.choices, default=AddressTest.CONTAINS)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    recipient_test = models.CharField(max_length=8, choices=AddressTest.choices, default=AddressTest.CONTAINS)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    subject = models.CharField(_("subject contains"), max_length=200, blank=True)
    has_attachment = models.BooleanField(_("has an attachment"), default=False)
    size_over_kb = models.PositiveIntegerField(_("size over (KB)"), null=True, blank=True)
    important = models.BooleanField(_("marked important"), default=False)
    # E.164; empty: the user's own mobile.
    notify_to = models.CharField(_("send the SMS to"), max_length=16, blank=True)
    stop = models.BooleanField(_("stop after this filter"), default=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class QuietMode(models.TextChoices):
    SUMMARY = "summary", _("one SMS summing them up when quiet hours end")
    DROP = "drop", _("no SMS")


class AlertSettings(models.Model):
    """A user's quiet hours and caps (one row, created on first save)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_settings")
    quiet_start = models.TimeField(_("quiet from"), null=True, blank=True)  # local time; None: no quiet hours
    quiet_end = models.TimeField(_("quiet until"), null=True, blank=True)
    quiet_mode = models.CharField(
        _("mail arriving in quiet hours"), max_length=8, choices=QuietMode.choices, default=QuietMode.SUMMARY
    )
    max_per_hour = models.PositiveIntegerField(_("at most per hour"), default=10)
    max_per_day = models.PositiveIntegerField(_("at most per day"), default=50)
    # When the summary of mail held back in quiet hours is due (None: nothing held back).
    summary_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return str(self.user)


class AlertStatus(models.TextChoices):
    SENT = "sent", _("SMS sent")
    SKIPPED = "skipped", _("skipped")
    HELD = "held", _("held for the quiet-hours summary")
    SUMMARIZED = "summarized", _("in the quiet-hours summary")
    FAILED = "failed", _("not sent")


class AlertLog(models.Model):
    """What happened to one new mail (or one alert of it, per filter and number)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_alerts")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    created_at = models.DateTimeField(default=timezone.now)
    uid = models.BigIntegerField(null=True, blank=True)
    sender = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    filter_name = models.CharField(max_length=60, blank=True)
    to = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey("messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # NewMail.identity: the same email in another mailbox has the same key, so it alerts once.
    mail_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "status", "created_at"], name="alertlog_user_status_time"),
            models.Index(fields=["user", "mail_key"], condition=~Q(mail_key=""), name="alertlog_user_mail"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.sender} {self.subject}".strip()
