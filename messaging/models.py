"""Messages, their recipients and their delivery states. Thin: writes are in services.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.phones import format_international
from credits.validators import validate_credit_amount

from .display import text_shown


class MessageStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    CANCELED = "canceled", _("canceled")


class Message(models.Model):
    """One send: a text to one or more recipients, paid by one credit hold."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sms_messages")
    body = models.TextField()  # as written
    text = models.TextField()  # what is sent: the body with the signature
    with_signature = models.BooleanField(default=True)
    encoding = models.CharField(max_length=8)
    segments = models.PositiveSmallIntegerField()
    credits_held = models.PositiveIntegerField()
    gateway = models.CharField(max_length=50)
    # The approved sender ID the user picked ("" = the gateway's number); each recipient
    # keeps what it was really sent from (a name, or the number where names are refused).
    sender = models.CharField(max_length=11, blank=True)
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    send_at = models.DateTimeField(null=True, blank=True)  # set for a scheduled send
    # From the composer form: a second click on Send finds the first message instead of sending twice.
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], condition=~Q(idempotency_key=""), name="message_sent_once"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="message_user_recent"),
            models.Index(fields=["send_at"], condition=Q(status="scheduled"), name="message_scheduled_due"),
        ]

    def __str__(self) -> str:
        return f"SMS {self.pk}: {self.body[:30]}"

    @property
    def hold_reference(self) -> str:
        return f"message:{self.pk}"


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SUBMITTING = "submitting", _("submitting")
    ACCEPTED = "accepted", _("accepted by the SMS centre")
    DELIVERED = "delivered", _("delivered")
    UNDELIVERED = "undelivered", _("not delivered")
    EXPIRED = "expired", _("expired")
    FAILED = "failed", _("failed")
    CANCELED = "canceled", _("canceled")
    UNKNOWN = "unknown", _("unknown")
    # A List member whose number cannot take SMS: written with its reason, never sent, no credit held.
    SKIPPED = "skipped", _("skipped")


# States only move forward: a late or repeated callback changes nothing.
RANK = {
    RecipientStatus.QUEUED: 0,
    RecipientStatus.SUBMITTING: 1,
    RecipientStatus.UNKNOWN: 2,
    RecipientStatus.ACCEPTED: 3,
    RecipientStatus.DELIVERED: 4,
    RecipientStatus.UNDELIVERED: 4,
    RecipientStatus.EXPIRED: 4,
    RecipientStatus.FAILED: 4,
    RecipientStatus.CANCELED: 4,
    RecipientStatus.SKIPPED: 4,
}
FINAL = {s for s, rank in RANK.items() if rank == 4}


class Recipient(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    to = models.CharField(max_length=16)  # E.164
    contact = models.ForeignKey("accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED)
    # Its own text when placeholders made it differ from the message's ("" = the message's text),
    # and the parts (credits) it costs: what is held, captured or released for it. 0 when skipped.
    text = models.TextField(blank=True)
    parts = models.PositiveSmallIntegerField(default=1)
    # The sender ID it is sent from; "" = the gateway's number (the only sender one can reply to).
    sender = models.CharField(max_length=11, blank=True)
    # When the row may next be dispatched; NULL while its scheduled message waits.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a dispatch task was last enqueued for it: the outbox sweep re-enqueues old ones.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The worker that claimed it (a random token) and when: a claim too old becomes `unknown`.
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="queued"), name="recipient_due"),
            models.Index(fields=["claimed_at"], condition=Q(status="submitting"), name="recipient_claimed"),
            models.Index(fields=["provider_id"], condition=~Q(provider_id=""), name="recipient_provider_id"),
            models.Index(fields=["message", "status"], name="recipient_message_status"),
            # Routing a reply: the last SMS handed over (claimed) to the number that wrote.
            models.Index(fields=["to", "-claimed_at"], name="recipient_to_recent"),
        ]

    def __str__(self) -> str:
        return format_international(self.to)

    @property
    def credit_reference(self) -> str:
        return f"recipient:{self.pk}"


class SendingLimits(models.Model):
    """Per-user overrides of the abuse limits in settings (empty field: the setting applies)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sending_limits")
    max_recipients_per_send = models.PositiveIntegerField(
        _("recipients per send"), null=True, blank=True, validators=[validate_credit_amount]
    )
    max_sms_per_day = models.PositiveIntegerField(
        _("SMS per day"), null=True, blank=True, validators=[validate_credit_amount]
    )
    # The Messages tool's copies: free to the user, so only these limits stop a flood.
    max_emails_per_day = models.PositiveIntegerField(
        _("emails per day (Messages tool)"), null=True, blank=True, validators=[validate_credit_amount]
    )
    max_faxes_per_day = models.PositiveIntegerField(
        _("faxes per day (Messages tool)"), null=True, blank=True, validators=[validate_credit_amount]
    )
    allowed_countries = models.CharField(
        _("allowed destination countries"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated ISO codes (BE,FR,NL). Empty: the site-wide setting."),
    )

    class Meta:
        verbose_name_plural = _("sending limits")

    def __str__(self) -> str:
        return f"limits of {self.user}"


class IncomingSMS(models.Model):
    """An SMS someone sent to one of our numbers, as the provider gave it.

    Routed to the user whose SMS it answers (`recipient`: the last SMS sent to that number
    through the same gateway within SMS_REPLY_WINDOW); unmatched ones (`user` empty) wait in
    the administrators' inbox. STOP and START words change the opt-out list instead.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", _("reply")
        STOP = "stop", _("STOP (opt-out)")
        START = "start", _("START (opt-in)")

    gateway = models.CharField(max_length=50)  # the alias it came through: "the sender" it answers
    provider_id = models.CharField(max_length=64)
    from_number = models.CharField(max_length=16)  # E.164
    to_number = models.CharField(max_length=32, blank=True)  # our number, as the provider names it
    text = models.TextField()  # as sent: any Unicode
    received_at = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REPLY)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_replies"
    )
    recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    read_at = models.DateTimeField(null=True, blank=True)
    # When its user was told (email, SMS): the sweep tells the others, in batches.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("incoming SMS")
        verbose_name_plural = _("incoming SMS")
        constraints = [
            # A provider that repeats its webhook (a retry, a replay) stores the SMS once.
            models.UniqueConstraint(fields=["gateway", "provider_id"], name="incoming_sms_once"),
        ]
        indexes = [
            models.Index(fields=["user", "-received_at"], name="incoming_user_recent"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="incoming_unread"),
            models.Index(
                fields=["id"], condition=Q(notified_at__isnull=True, user__isnull=False), name="incoming_to_notify"
            ),
        ]

    def __str__(self) -> str:
        return f"{format_international(self.from_number)}: {text_shown(self.text[:30])}"


class OptOut(models.Model):
    """A number that asked (STOP) or was put by hand not to get SMS from one gateway's number."""

    gateway = models.CharField(max_length=50)
    number = models.CharField(max_length=16)  # E.164
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("opt-out")
        constraints = [models.UniqueConstraint(fields=["gateway", "number"], name="optout_one_per_number")]

    def __str__(self) -> str:
        return format_international(self.number)


class OptOutChange(models.Model):
    """Each change of the opt-out list, append-only: who (a user, or the recipient's own SMS) and why."""

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        REMOVED = "removed", _("removed")

    gateway = models.CharField(max_length=50)
    number = models.CharField(max_length=16)
    action = models.CharField(max_length=8, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incoming = models.ForeignKey(IncomingSMS, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("opt-out change")

    def __str__(self) -> str:
        return f"{self.action} {self.number}"


class Confirmation(models.Model):
    """The one SMS that answers a STOP or START. Paid by nobody, so it is not a Message
    (no hold); it goes through the same outbox engine, claimed before it is handed over:
    at most once."""

    incoming = models.OneToOneField(IncomingSMS, on_delete=models.CASCADE, related_name="confirmation")
    gateway = models.CharField(max_length=50)
    to = models.CharField(max_length=16)
    text = models.TextField()
    status = models.CharField(max_length=12, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], condition=Q(status="queued"), name="confirmation_due")]

    def __str__(self) -> str:
        return f"confirmation to {self.to}"


class ReplyPreferences(models.Model):
    """How a user is told that a reply came (no row: the defaults, email only)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reply_preferences")
    by_email = models.BooleanField(_("by email"), default=True)
    by_sms = models.BooleanField(
        _("by SMS to my mobile"), default=False, help_text=_("Charged like any SMS: one credit a message.")
    )

    class Meta:
        verbose_name_plural = _("reply preferences")

    def __str__(self) -> str:
        return f"reply preferences of {self.user}"


class MessageTemplate(models.Model):
    """A saved text to start from, in the SMS composer and in the Messages tool (one kind for both).

    Private to its author, or shared with one of the author's groups: every member of the
    group sees it and starts from it; its author edits and deletes it. The Messages tool
    also keeps a subject and channels; the composer saves the text alone (channel "sms")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_templates")
    group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="message_templates",
        verbose_name=_("shared with"),
    )
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    channels = models.CharField(max_length=20)
    subject_in_sms = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table kept its name through both moves (messaging -> broadcasts -> messaging).
        db_table = "messaging_messagetemplate"
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="template_name_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]


class RecipientEvent(models.Model):
    """A recipient's history: each decision taken about it after its send (reconciliation
    of an unknown outcome), with what it moved from and to and why."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField()
    status_from = models.CharField(max_length=12, choices=RecipientStatus.choices)
    status_to = models.CharField(max_length=12, choices=RecipientStatus.choices)
    source = models.CharField(max_length=32)  # what decided: "reconciliation"
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["recipient", "at"], name="recipient_event_recent")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.status_from} -> {self.status_to} ({self.source})"


class SenderId(models.Model):
    """An alphanumeric sender ID ("ACME") that recipients see instead of the gateway's number.

    Owned by an organisation (its owners and admins ask for it, every member uses it) or
    by a user outside any organisation; an installation administrator approves or refuses
    it in the admin (services/senders.py: who and when, and why a refusal)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    name = models.CharField(_("sender ID"), max_length=11)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="sender_ids"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="sender_ids"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)  # why it was refused

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("sender ID")
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=True, user__isnull=False)
                | Q(organisation__isnull=False, user__isnull=True),
                name="sender_id_one_owner",
            ),
            models.UniqueConstraint(
                fields=["organisation", "name"], condition=Q(organisation__isnull=False), name="sender_id_once_per_org"
            ),
            models.UniqueConstraint(
                fields=["user", "name"], condition=Q(user__isnull=False), name="sender_id_once_per_user"
            ),
        ]

    def __str__(self) -> str:
        return self.name
