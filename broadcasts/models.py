"""The Messages tool's messages and their copies per person and channel.

Its templates are messaging.models.MessageTemplate: one kind serves the SMS composer
and the Messages tool.

Thin: writes are in services.py. The tables kept their names from when the tool lived
in the messaging app (db_table), so the move lost no row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from messaging.models import Message, Recipient


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")
    FAX = "fax", _("fax")


class DeliveryStatus(models.TextChoices):
    """States of an email or fax copy. An SMS copy's state is its pipeline Recipient's."""

    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("not sent")
    # The worker died after claiming it: never resent blindly (as for SMS).
    UNKNOWN = "unknown", _("unknown")


class Broadcast(models.Model):
    """One message of the Messages tool, sent on one or more channels.

    Its SMS copy is an ordinary SMS send (`sms_message`), paid and tracked by the SMS
    pipeline; its email and fax copies are Delivery rows.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="broadcasts")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    channels = models.CharField(max_length=20)  # comma-separated Channel values, in Channel order
    subject_in_sms = models.BooleanField(default=False)
    sms_message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="broadcast"
    )
    person_count = models.PositiveIntegerField()
    # From the form: a second click on Send finds the first broadcast instead of sending twice.
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "messaging_broadcast"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], condition=~Q(idempotency_key=""), name="broadcast_sent_once"
            )
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="broadcast_user_recent")]

    def __str__(self) -> str:
        return self.subject

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]


class Delivery(models.Model):
    """One recipient x channel of a broadcast.

    `position` numbers the recipients (people) of the broadcast: the result page shows
    one line per position with a cell per channel. An SMS copy points at its pipeline
    Recipient and takes its state from there (two people with the same mobile share
    one Recipient: the SMS is sent once). A copy that could not be sent (no address of
    that kind, an address already served) is `skipped` with the reason.
    """

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="deliveries")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    contact = models.ForeignKey("accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    address = models.CharField(max_length=254, blank=True)  # email address, or E.164 for SMS and fax
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, blank=True)  # blank for an SMS copy
    sms_recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_reason = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "messaging_delivery"
        ordering = ["position", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="sms", status__in=["", "skipped"]) | (~Q(channel="sms") & ~Q(status="")),
                name="delivery_status_by_channel",
            ),
            models.UniqueConstraint(fields=["broadcast", "position", "channel"], name="delivery_once_per_channel"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="queued"), name="delivery_due"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="delivery_claimed"),
        ]
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.name}"

    # What the result page shows: an SMS copy's state is its pipeline Recipient's.
    @property
    def state(self) -> str:
        return self.sms_recipient.status if self.sms_recipient_id else self.status

    @property
    def state_label(self) -> str:
        return self.sms_recipient.get_status_display() if self.sms_recipient_id else self.get_status_display()

    @property
    def reason(self) -> str:
        return self.sms_recipient.error_reason if self.sms_recipient_id else self.error_reason
