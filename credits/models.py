"""Plans, credit accounts, holds, the append-only ledger, packs and purchases.

Thin: every change goes through credits/services.py, which locks the account row.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .validators import validate_credit_amount


class Bucket(models.TextChoices):
    MONTHLY = "monthly", _("monthly quota")
    PROVISION = "provision", _("provision")


class Plan(models.Model):
    """A subscription plan: how many SMS credits each period grants (0 is a valid plan)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    monthly_allowance = models.PositiveIntegerField(_("SMS per month"), validators=[validate_credit_amount])
    is_default = models.BooleanField(_("default for new accounts"), default=False)

    class Meta:
        ordering = ["monthly_allowance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_plan")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.monthly_allowance}/month)"


class CreditAccount(models.Model):
    """One user's credit, or one organisation's pool. Balances are counters kept by the
    services, under a row lock.

    `monthly_remaining` and `provision_balance` are what can still be held;
    `*_held` is what pending sends hold. A period runs from `period_start` to
    `period_end` (exclusive) on the user's calendar; at `next_rollover_at` (local
    midnight of `period_end`, in UTC) the unused monthly credit expires.
    """

    # Exactly one of the two: a personal account or an organisation's pool.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="credit_account"
    )
    organisation = models.OneToOneField(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_account"
    )
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    # The day of month periods start on (1..31); shorter months start on their last day.
    anchor_day = models.PositiveSmallIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    next_rollover_at = models.DateTimeField(db_index=True)
    monthly_allowance = models.PositiveIntegerField(default=0)  # granted at this period's start
    monthly_remaining = models.IntegerField(default=0)
    monthly_held = models.IntegerField(default=0)
    monthly_used = models.IntegerField(default=0)  # captured from this period's allowance
    provision_balance = models.IntegerField(default=0)
    provision_held = models.IntegerField(default=0)
    # Low-credit warning: 0 turns it off. `low_credit_warned` is set when the email
    # went out and cleared once credit is back at or above the threshold.
    low_credit_threshold = models.PositiveIntegerField(
        _("warn me below"), default=10, validators=[validate_credit_amount]
    )
    low_credit_warned = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(monthly_remaining__gte=0), name="monthly_remaining_gte_0"),
            models.CheckConstraint(condition=Q(monthly_held__gte=0), name="monthly_held_gte_0"),
            models.CheckConstraint(condition=Q(monthly_used__gte=0), name="monthly_used_gte_0"),
            models.CheckConstraint(condition=Q(provision_balance__gte=0), name="provision_balance_gte_0"),
            models.CheckConstraint(condition=Q(provision_held__gte=0), name="provision_held_gte_0"),
            models.CheckConstraint(condition=Q(anchor_day__gte=1, anchor_day__lte=31), name="anchor_day_1_31"),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="period_end_after_start"),
            models.CheckConstraint(
                condition=Q(user__isnull=False, organisation__isnull=True)
                | Q(user__isnull=True, organisation__isnull=False),
                name="account_user_or_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"credit of {self.organisation or self.user}"

    @property
    def time_zone(self) -> str:
        """Where this account's periods start at midnight."""
        return self.organisation.time_zone if self.organisation_id else self.user.time_zone

    @property
    def available(self) -> int:
        """What a new send may hold now: the monthly quota, then provision."""
        return self.monthly_remaining + self.provision_balance


class Hold(models.Model):
    """Credit set aside for one send (or chunk), then captured or released in parts.

    Captures use the monthly share first and releases give provision back first, so
    that what is finally spent comes out of the monthly quota before provision.
    """

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="holds")
    reference = models.CharField(max_length=100, unique=True)  # e.g. "message:42"
    # Who sent (an organisation pool's holds): its captures and releases count against
    # this member's limit and usage, whatever organisation the member is in by then.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The period whose allowance paid the monthly share: released after it ended, it expires.
    period_start = models.DateField()
    monthly_amount = models.PositiveIntegerField()
    provision_amount = models.PositiveIntegerField()
    monthly_open = models.PositiveIntegerField()
    provision_open = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # An organisation's billing export reads one period's holds in id order.
        indexes = [models.Index(fields=["account", "period_start", "id"], name="hold_account_period")]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_open__lte=F("monthly_amount")), name="monthly_open_lte_amount"),
            models.CheckConstraint(
                condition=Q(provision_open__lte=F("provision_amount")), name="provision_open_lte_amount"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def open(self) -> int:
        return self.monthly_open + self.provision_open


class EntryKind(models.TextChoices):
    GRANT = "grant", _("monthly allowance")
    EXPIRY = "expiry", _("expired")
    PURCHASE = "purchase", _("purchase")
    ADMIN_GRANT = "admin_grant", _("granted by an administrator")
    ADMIN_REMOVAL = "admin_removal", _("removed by an administrator")
    HOLD = "hold", _("held for a send")
    CAPTURE = "capture", _("used")
    RELEASE = "release", _("released")


class LedgerEntry(models.Model):
    """One change to one bucket of one account; never updated, never deleted.

    `available_delta` changes what can be held (monthly_remaining or
    provision_balance), `held_delta` what is held. The account's counters always
    equal the sums of these columns (tested).
    """

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="entries")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    bucket = models.CharField(max_length=16, choices=Bucket.choices)
    available_delta = models.IntegerField()
    held_delta = models.IntegerField(default=0)
    available_after = models.IntegerField()
    held_after = models.IntegerField()
    # What the change is about: "message:42", "recipient:42:7", "purchase:3", "period:2026-11-01".
    reference = models.CharField(max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    # The send this entry belongs to: its Hold's reference ("message:42") on hold, capture,
    # release and late-expiry entries, so the history page folds them into one line; ""
    # for changes that stand alone (grants, purchases, period expiries).
    hold_reference = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["account", "-id"], name="ledger_account_recent"),
            # The history page: the entries that open a line, newest first ...
            models.Index(
                fields=["account", "-id"], condition=Q(hold_reference="") | Q(kind="hold"), name="ledger_line_openers"
            ),
            # ... and every entry of the sends on that page.
            models.Index(fields=["account", "hold_reference"], condition=~Q(hold_reference=""), name="ledger_by_send"),
        ]
        constraints = [
            # A repeated capture, release or grant for the same reference writes nothing.
            models.UniqueConstraint(fields=["reference", "kind", "bucket"], name="one_entry_per_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.available_delta:+d} ({self.bucket})"

    @property
    def amount(self) -> int:
        """The change shown to people: to what can be held, or (capture, late expiry) to what is held."""
        return self.available_delta or self.held_delta


class MonthlyUsage(models.Model):
    """Credits captured per period and bucket: the Quotas graph reads 12 rows, not the ledger."""

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="usage")
    period_start = models.DateField()
    monthly_used = models.PositiveIntegerField(default=0)
    provision_used = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period_start"]
        constraints = [models.UniqueConstraint(fields=["account", "period_start"], name="one_usage_row_per_period")]

    def __str__(self) -> str:
        return f"usage from {self.period_start}: {self.monthly_used} monthly, {self.provision_used} provision"


class MemberUsage(models.Model):
    """One member's use of an organisation's pool in one period: what the limit and the
    organisation's Quotas page read (a row per member and period, never the ledger).

    `charged` is what the member's holds of that period took, minus what came back: the
    figure a monthly limit is checked against, under the account lock. `used` is what the
    SMS centre accepted (captured).
    """

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="member_usage")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    charged = models.PositiveIntegerField(default=0)
    used = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period_start", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "period_start", "member"], name="one_member_usage_row")
        ]

    def __str__(self) -> str:
        return f"{self.member} from {self.period_start}: {self.charged} charged, {self.used} used"


class CreditPack(models.Model):
    """A pack of provision a user can buy on the Credit page."""

    name = models.CharField(_("name"), max_length=100)
    credits = models.PositiveIntegerField(_("credits"), validators=[validate_credit_amount])
    price_cents = models.PositiveIntegerField(_("price (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["credits"]
        constraints = [models.CheckConstraint(condition=Q(credits__gt=0), name="pack_credits_gt_0")]

    def __str__(self) -> str:
        return f"{self.name}: {self.credits} SMS"

    @property
    def price(self) -> str:
        return f"{self.price_cents // 100}.{self.price_cents % 100:02d} {self.currency}"


class PurchaseStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    FAILED = "failed", _("payment failed")


class Purchase(models.Model):
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="purchases")
    pack = models.ForeignKey(CreditPack, on_delete=models.PROTECT, related_name="+")
    # Copied from the pack: what was bought stays true if the pack changes later.
    credits = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    adapter = models.CharField(max_length=50)
    status = models.CharField(max_length=16, choices=PurchaseStatus.choices, default=PurchaseStatus.PENDING)
    payment_reference = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"purchase {self.pk}: {self.credits} SMS ({self.get_status_display()})"

    @property
    def price(self) -> str:
        return f"{self.price_cents // 100}.{self.price_cents % 100:02d} {self.currency}"
