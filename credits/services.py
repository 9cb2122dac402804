"""The only way credit changes.

Every service locks the account row (`SELECT ... FOR UPDATE`), changes its counters
and appends ledger entries in one transaction. The account's counters always equal
the sums of its entries' deltas; `CHECK` constraints keep them >= 0.

Order of buckets: a hold takes the monthly quota first, then provision. Within a
hold, captures use the monthly share first and releases give provision back first,
so what is finally spent comes from the monthly quota before provision. A monthly
share released after its period ended expires instead of returning.
"""

import datetime as dt
import uuid
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import MANAGING_ROLES, Membership, Organisation, User
from core.db import bulk_update
from core.metrics import metrics_credits_captured

from . import periods
from .models import (
    Bucket,
    CreditAccount,
    CreditPack,
    EntryKind,
    Hold,
    LedgerEntry,
    MemberUsage,
    MonthlyUsage,
    Plan,
    Purchase,
    PurchaseStatus,
)
from .payments import PaymentOutcome, get_payment_adapter

# Captured credits per period start: [monthly, provision].
Usage = dict[dt.date, list[int]]
# What the balance columns (PostgreSQL integer) hold: a grant or purchase that would
# take provision past it is refused instead of failing in the database (a 500).
BALANCE_MAX = 2**31 - 1


class CreditError(ValueError):
    """A refused credit operation; `str(error)` is the message for the user."""


class InsufficientCredit(CreditError):
    def __init__(self, *, needed: int, available: int) -> None:
        self.needed, self.available = needed, available
        super().__init__(
            ngettext(
                "This needs %(needed)s credit and %(available)s are available.",
                "This needs %(needed)s credits and %(available)s are available.",
                needed,
            )
            % {"needed": needed, "available": available}
        )


class PurchaseAlreadyDecided(CreditError):
    pass


class MemberLimitReached(InsufficientCredit):
    """A member of an organisation would pass the monthly limit the organisation set for them.

    Like InsufficientCredit (a 402, nothing held), with the limit's figures: `needed`,
    `available` (what the limit still allows), `limit` and `used`.
    """

    def __init__(self, *, needed: int, limit: int, used: int) -> None:
        self.needed, self.limit, self.used = needed, limit, used
        self.available = max(limit - used, 0)
        ValueError.__init__(
            self,
            ngettext(
                "This needs %(needed)s credit: your organisation's limit for you this month is %(limit)s "
                "and %(used)s are used.",
                "This needs %(needed)s credits: your organisation's limit for you this month is %(limit)s "
                "and %(used)s are used.",
                needed,
            )
            % {"needed": needed, "limit": limit, "used": used},
        )


def account_for(*, user: User, now: dt.datetime | None = None) -> CreditAccount:
    """Who pays for `user`'s SMS: the organisation's pool for a member, the personal account otherwise.

    The one answer every path asks (composer, API, Messages tool, reminders, agenda, mail
    alerts, the Credit and Quotas pages). One query when the account exists. A personal
    account is opened on first use with the default plan's allowance; its first period
    starts today (in the user's time zone) and renews on the same day of each month.
    Joining or leaving an organisation moves no credit: the personal account stays as
    it was, and holds settle on the account that made them (Hold.account).
    """
    membership = Membership.objects.filter(user=user).select_related("organisation").first()
    if membership is not None:
        return pool_for(organisation=membership.organisation, now=now)
    return _open(user=user, organisation=None, time_zone=user.time_zone, now=now)


def personal_account_for(*, user: User, now: dt.datetime | None = None) -> CreditAccount:
    """The user's own account, whether or not they are in an organisation now."""
    return _open(user=user, organisation=None, time_zone=user.time_zone, now=now)


def pool_for(*, organisation: Organisation, plan: Plan | None = None, now: dt.datetime | None = None) -> CreditAccount:
    """The organisation's credit account (its pool), opened on first use like a personal one
    (on `plan` when given, else the default plan)."""
    return _open(user=None, organisation=organisation, time_zone=organisation.time_zone, now=now, plan=plan)


def _open(
    *,
    user: User | None,
    organisation: Organisation | None,
    time_zone: str,
    now: dt.datetime | None,
    plan: Plan | None = None,
) -> CreditAccount:
    owner = {"user": user} if user is not None else {"organisation": organisation}
    try:
        return CreditAccount.objects.get(**owner)
    except CreditAccount.DoesNotExist:
        pass
    now = now or timezone.now()
    today = periods.local_today(now, time_zone)
    period_end = periods.next_period_start(today, today.day)
    try:
        with transaction.atomic():
            account = CreditAccount.objects.create(
                **owner,
                plan=plan or Plan.objects.filter(is_default=True).first(),
                anchor_day=today.day,
                period_start=today,
                period_end=period_end,
                next_rollover_at=periods.local_midnight(period_end, time_zone),
            )
            account = _lock(account)
            entries = _grant_allowance(account)
            _save(account, entries)
    except IntegrityError:
        # Another request opened it at the same moment: use theirs.
        return CreditAccount.objects.get(**owner)
    return account


def account_lock(*, account: CreditAccount) -> CreditAccount:
    """Lock the account row for the rest of the caller's transaction and return it fresh.

    The same `SELECT ... FOR UPDATE` every credit service takes: a caller that must check
    something the hold must not race (a user's daily sending limits) takes it first, so
    concurrent sends of the account queue here and each sees what the earlier ones
    committed. Must run inside `transaction.atomic()`.
    """
    return _lock(account)


def credits_hold(
    *,
    account: CreditAccount,
    amount: int,
    reference: str,
    member: User | None = None,
    now: dt.datetime | None = None,
) -> Hold:
    """Hold `amount` credits for `reference`: the monthly quota first, then provision.

    All or nothing: raises InsufficientCredit (with needed/available) and changes
    nothing when short. Holding again with the same reference returns the first hold.
    On an organisation's pool, `member` (who sends) is recorded on the hold and its
    ledger entries, and the member's monthly limit is checked under the same account
    lock: passing it raises MemberLimitReached, nothing held.
    """
    _check_amount(amount)
    with transaction.atomic():
        account = _lock(account)
        _roll_over_due_periods(account, now or timezone.now())
        # The member's limit and charge come with the "held already?" question: one round trip.
        quota, existing_id = _MemberQuota.read(account, member, reference=reference)
        if existing_id is not None:
            return Hold.objects.get(pk=existing_id)
        if amount > account.available:
            # Raising rolls back everything, the rollover above included: nothing changes.
            raise InsufficientCredit(needed=amount, available=account.available)
        quota.take(amount)
        hold, entries = _take(account, amount, reference, quota.member)
        hold.save()
        quota.flush()
        _save(account, entries)
    return hold


class _MemberQuota:
    """A member's monthly limit and what they charged this period, read under the account lock.

    Only for an organisation's pool with a sending member; otherwise every call is a no-op
    (a personal account pays no extra query). Two queries: the limit, then the usage row.
    """

    def __init__(self, account: CreditAccount, member: User | None, limit: int | None, charged: int) -> None:
        self.account, self.member, self.limit, self.charged, self.added = account, member, limit, charged, 0

    @classmethod
    def read(
        cls, account: CreditAccount, member: User | None, *, reference: str = ""
    ) -> tuple["_MemberQuota", int | None]:
        """The quota, and (given a `reference`) the id of the hold already made for it, if any.

        A statement after the lock: it sees every hold committed before ours. On a pool, one
        query answers all three (the limit of the organisation the pool belongs to, what the
        member charged this period, the existing hold); elsewhere the existing hold only.
        """
        if member is None or not account.organisation_id:
            found = Hold.objects.filter(reference=reference).values_list("pk", flat=True).first() if reference else None
            return cls(account, None, None, 0), found
        # Plain SQL: this runs for every send of every member, and compiling the ORM's
        # version cost more than the database's work (bench/credit_holds.py, (d)).
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT m.monthly_limit,
                       (SELECT u.charged FROM {MemberUsage._meta.db_table} u
                        WHERE u.account_id = %s AND u.member_id = %s AND u.period_start = %s),
                       (SELECT h.id FROM {Hold._meta.db_table} h WHERE h.reference = %s)
                FROM (SELECT 1) AS one
                LEFT JOIN {Membership._meta.db_table} m ON m.user_id = %s AND m.organisation_id = %s
                """,  # noqa: S608 - table names are ours, every value is a parameter
                [account.pk, member.pk, account.period_start, reference, member.pk, account.organisation_id],
            )
            limit, charged, existing_id = cursor.fetchone()
        # A sender who left (or never joined) has no row: held to no member limit, only to the pool.
        return cls(account, member, limit, charged or 0), (existing_id if reference else None)

    def allows(self, amount: int) -> bool:
        return self.limit is None or self.charged + self.added + amount <= self.limit

    def refusal(self, amount: int) -> "MemberLimitReached":
        return MemberLimitReached(needed=amount, limit=self.limit or 0, used=self.charged + self.added)

    def take(self, amount: int) -> None:
        if not self.allows(amount):
            raise self.refusal(amount)
        self.added += amount

    def flush(self) -> None:
        """Write the member's new charge in one statement (an upsert of the figure read under the
        lock: no other writer of this account's usage rows runs before our commit)."""
        if self.member is not None and self.added:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {MemberUsage._meta.db_table} (account_id, member_id, period_start, charged, used)
                    VALUES (%s, %s, %s, %s, 0)
                    ON CONFLICT (account_id, period_start, member_id) DO UPDATE SET charged = EXCLUDED.charged
                    """,  # noqa: S608 - the table name is ours, every value is a parameter
                    [self.account.pk, self.member.pk, self.account.period_start, self.charged + self.added],
                )


def credits_hold_many(
    *,
    account: CreditAccount,
    requests: list[tuple[str, int]],
    member: User | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Hold | InsufficientCredit]:
    """Hold for several sends of one account (and one sending `member`) under one lock:
    each all or nothing, in order.

    Returns, per reference, its Hold or the InsufficientCredit (MemberLimitReached for a
    member's limit) that refused it (the others still go through). What the reminders
    tick uses for a batch of reminders.
    """
    for _reference, amount in requests:
        _check_amount(amount)
    outcome: dict[str, Hold | InsufficientCredit] = {}
    with transaction.atomic():
        account = _lock(account)
        _roll_over_due_periods(account, now or timezone.now())
        quota, _existing = _MemberQuota.read(account, member)
        holds, entries = [], []
        for reference, amount in requests:
            if amount > account.available:
                outcome[reference] = InsufficientCredit(needed=amount, available=account.available)
                continue
            if not quota.allows(amount):
                outcome[reference] = quota.refusal(amount)
                continue
            quota.take(amount)
            hold, taken = _take(account, amount, reference, quota.member)
            holds.append(hold)
            entries += taken
            outcome[reference] = hold
        Hold.objects.bulk_create(holds)
        quota.flush()
        _save(account, entries)
    return outcome


def _take(
    account: CreditAccount, amount: int, reference: str, member: User | None = None
) -> tuple[Hold, list[LedgerEntry]]:
    """Move `amount` from available to held, monthly quota first; the Hold is not saved yet."""
    monthly = min(amount, account.monthly_remaining)
    provision = amount - monthly
    account.monthly_remaining -= monthly
    account.monthly_held += monthly
    account.provision_balance -= provision
    account.provision_held += provision
    entries = [
        _entry(
            account,
            EntryKind.HOLD,
            bucket,
            available_delta=-share,
            held_delta=share,
            reference=reference,
            hold_reference=reference,
            actor=member,
        )
        for bucket, share in ((Bucket.MONTHLY, monthly), (Bucket.PROVISION, provision))
        if share
    ]
    hold = Hold(
        account=account,
        member=member,
        reference=reference,
        period_start=account.period_start,
        monthly_amount=monthly,
        provision_amount=provision,
        monthly_open=monthly,
        provision_open=provision,
    )
    return hold, entries


def credits_capture(*, hold: Hold, amount: int, reference: str, now: dt.datetime | None = None) -> bool:
    """Spend `amount` of the hold (e.g. one recipient accepted by the SMS centre).

    Returns False, changing nothing, when `reference` was captured already.
    """
    return credits_settle(hold=hold, capture=amount, release=0, reference=reference, now=now)


def credits_release(*, hold: Hold, amount: int, reference: str, now: dt.datetime | None = None) -> bool:
    """Give back `amount` of the hold (e.g. a recipient refused before the SMS centre).

    Provision goes back first; a monthly share whose period has ended expires.
    Returns False, changing nothing, when `reference` was released already.
    """
    return credits_settle(hold=hold, capture=0, release=amount, reference=reference, now=now)


def credits_settle(*, hold: Hold, capture: int, release: int, reference: str, now: dt.datetime | None = None) -> bool:
    """Capture and release parts of a hold in one transaction: what a dispatched chunk needs.

    Returns False, changing nothing, when `reference` was settled already.
    """
    return credits_settle_many(settlements=[(hold, capture, release, reference)], now=now) == 1


def credits_settle_many(*, settlements: list[tuple[Hold, int, int, str]], now: dt.datetime | None = None) -> int:
    """credits_settle for many holds (hold, capture, release, reference): one lock per account.

    A reference settled already is skipped. Returns how many were settled. What a
    dispatched chunk of many single-recipient messages (reminders) needs.
    """
    by_account: dict[int, list[tuple[Hold, int, int, str]]] = defaultdict(list)
    for item in settlements:
        for amount in item[1:3]:
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise CreditError(_("The amount must be a whole number of credits, 0 or more."))
        if item[1] or item[2]:
            by_account[item[0].account_id].append(item)
    settled = captured = 0
    with transaction.atomic():
        for account_id, items in by_account.items():
            account = _lock(CreditAccount(pk=account_id))
            _roll_over_due_periods(account, now or timezone.now())
            fresh = {hold.pk: hold for hold in Hold.objects.filter(pk__in=[item[0].pk for item in items])}
            done = set(
                LedgerEntry.objects.filter(reference__in=[item[3] for item in items]).values_list(
                    "reference", flat=True
                )
            )
            usage: Usage = defaultdict(lambda: [0, 0])
            # (member id, period start) -> [charged, used]: the senders' rows on a pool.
            by_member: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
            entries, changed = [], []
            for held, capture, release, reference in items:
                if reference in done:
                    continue
                hold = fresh[held.pk]
                _check_open(hold, capture + release)
                entries += _capture(account, hold, capture, reference, usage)
                captured += capture
                entries += _release(account, hold, release, reference)
                changed.append(hold)
                if hold.member_id and account.organisation_id:
                    by_member[(hold.member_id, hold.period_start)][0] -= release
                    by_member[(hold.member_id, hold.period_start)][1] += capture
            bulk_update(changed, ["monthly_open", "provision_open"])
            _flush_usage(account, usage)
            for (member_id, period_start), (charged, used) in by_member.items():
                _member_usage_add(account, member_id, period_start, charged=charged, used=used)
            _save(account, entries)
            settled += len(changed)
        metrics_credits_captured(captured)
    return settled


def _capture(account: CreditAccount, hold: Hold, amount: int, reference: str, usage: "Usage") -> list[LedgerEntry]:
    """Spend the monthly share first (it would expire), then provision."""
    monthly = min(amount, hold.monthly_open)
    provision = amount - monthly
    hold.monthly_open -= monthly
    hold.provision_open -= provision
    account.monthly_held -= monthly
    account.provision_held -= provision
    if hold.period_start == account.period_start:
        account.monthly_used += monthly
    usage[hold.period_start][0] += monthly
    usage[account.period_start][1] += provision
    return [
        _entry(
            account,
            EntryKind.CAPTURE,
            bucket,
            held_delta=-share,
            reference=reference,
            hold_reference=hold.reference,
            actor_id=hold.member_id,
        )
        for bucket, share in ((Bucket.MONTHLY, monthly), (Bucket.PROVISION, provision))
        if share
    ]


def _release(account: CreditAccount, hold: Hold, amount: int, reference: str) -> list[LedgerEntry]:
    """Give provision back first (it never expires); a monthly share from an ended period expires."""
    provision = min(amount, hold.provision_open)
    monthly = amount - provision
    hold.provision_open -= provision
    hold.monthly_open -= monthly
    account.provision_held -= provision
    account.provision_balance += provision
    account.monthly_held -= monthly
    entries = []
    if provision:
        entries.append(
            _entry(
                account,
                EntryKind.RELEASE,
                Bucket.PROVISION,
                provision,
                -provision,
                reference=reference,
                hold_reference=hold.reference,
                actor_id=hold.member_id,
            )
        )
    if monthly and hold.period_start == account.period_start:
        account.monthly_remaining += monthly
        entries.append(
            _entry(
                account,
                EntryKind.RELEASE,
                Bucket.MONTHLY,
                monthly,
                -monthly,
                reference=reference,
                hold_reference=hold.reference,
                actor_id=hold.member_id,
            )
        )
    elif monthly:
        entries.append(
            _entry(
                account,
                EntryKind.EXPIRY,
                Bucket.MONTHLY,
                held_delta=-monthly,
                reference=reference,
                hold_reference=hold.reference,
                actor_id=hold.member_id,
                reason=_("released after its month ended"),
            )
        )
    return entries


def credits_release_all(*, hold: Hold, reference: str, now: dt.datetime | None = None) -> bool:
    """Release whatever the hold still holds (a canceled send)."""
    hold.refresh_from_db()
    if not hold.open:
        return False
    return credits_release(hold=hold, amount=hold.open, reference=reference, now=now)


def credits_grant(*, account: CreditAccount, amount: int, reason: str, actor: User | None) -> CreditAccount:
    """Add (or, negative, remove) provision by hand, with a reason the ledger keeps.

    `actor` is the administrator (None for the operators' command line). Removing
    more than the provision balance is refused: balances never go below zero.
    """
    if actor is not None and not actor.is_staff:
        raise CreditError(_("Only administrators can grant or remove credit."))
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise CreditError(_("Give a whole number of credits other than 0."))
    _check_bound(abs(amount))
    reason = (reason or "").strip()
    if not reason:
        raise CreditError(_("Say why: the reason is kept in the ledger."))
    with transaction.atomic():
        account = _lock(account)
        if amount < 0 and -amount > account.provision_balance:
            raise CreditError(
                _("Cannot remove %(amount)s credits: the provision balance is %(balance)s.")
                % {"amount": -amount, "balance": account.provision_balance}
            )
        _check_room(account, amount)
        account.provision_balance += amount
        kind = EntryKind.ADMIN_GRANT if amount > 0 else EntryKind.ADMIN_REMOVAL
        entry = _entry(
            account,
            kind,
            Bucket.PROVISION,
            amount,
            reference=f"admin:{uuid.uuid4().hex}",
            actor=actor,
            reason=reason[:300],
        )
        _save(account, [entry])
    return account


def purchase_create(*, user: User, pack: CreditPack) -> Purchase:
    """Start buying `pack` for whoever pays `user`'s SMS (the organisation's pool: owners and
    admins only): the payment adapter approves it at once, fails it, or leaves it pending."""
    if not pack.active:
        raise CreditError(_("This pack is not on sale any more."))
    _check_bound(pack.credits)
    membership = Membership.objects.filter(user=user).first()
    if membership is not None and not membership.manages:
        raise CreditError(_("Only the organisation's owners and admins buy credit for it."))
    account = account_for(user=user)
    adapter = get_payment_adapter()
    purchase = Purchase.objects.create(
        account=account,
        pack=pack,
        credits=pack.credits,
        price_cents=pack.price_cents,
        currency=pack.currency,
        adapter=adapter.name,
    )
    result = adapter.start(purchase)
    purchase.payment_reference = result.reference
    purchase.save(update_fields=["payment_reference"])
    if result.outcome == PaymentOutcome.APPROVED:
        return purchase_approve(purchase=purchase, actor=None)
    if result.outcome == PaymentOutcome.FAILED:
        return purchase_reject(purchase=purchase, actor=None, note=result.message, status=PurchaseStatus.FAILED)
    return purchase


def purchase_approve(*, purchase: Purchase, actor: User | None) -> Purchase:
    """Add the purchased credits to provision, once. Raises PurchaseAlreadyDecided otherwise.

    A purchase over CREDIT_MAX_GRANT (a pack made before the bound) is refused with a
    CreditError and stays pending.
    """
    _check_bound(purchase.credits)
    with transaction.atomic():
        purchase = _decide(purchase, actor, PurchaseStatus.APPROVED)
        account = _lock(purchase.account)
        _check_room(account, purchase.credits)
        account.provision_balance += purchase.credits
        entry = _entry(
            account,
            EntryKind.PURCHASE,
            Bucket.PROVISION,
            purchase.credits,
            reference=f"purchase:{purchase.pk}",
            actor=actor,
        )
        _save(account, [entry])
    return purchase


def purchase_reject(
    *, purchase: Purchase, actor: User | None, note: str = "", status: str = PurchaseStatus.REJECTED
) -> Purchase:
    with transaction.atomic():
        purchase = _decide(purchase, actor, status)
        purchase.note = note[:300]
        purchase.save(update_fields=["note"])
    return purchase


def period_rollover(*, account: CreditAccount, now: dt.datetime | None = None) -> int:
    """Start every period that is due: the unused allowance expires, the plan's is granted.

    Idempotent: returns how many periods were started (0 when none was due).
    """
    with transaction.atomic():
        account = _lock(account)
        started = _roll_over_due_periods(account, now or timezone.now())
        if started:
            account.save()
    return started


def rollover_due_accounts(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Roll over every account that is due, one transaction each; what beat runs."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            # SKIP LOCKED: overlapping ticks or several workers share the work.
            due = list(
                CreditAccount.objects.select_for_update(skip_locked=True)
                .filter(next_rollover_at__lte=now)
                .order_by("next_rollover_at")
                .values_list("pk", flat=True)[:batch]
            )
        if not due:
            return done
        for account_id in due:
            done += bool(period_rollover(account=CreditAccount(pk=account_id), now=now))


def plan_ensure(*, name: str, monthly_allowance: int, is_default: bool = False) -> Plan:
    """The plan named `name`, created with these values when it does not exist yet."""
    plan, _created = Plan.objects.get_or_create(
        name=name, defaults={"monthly_allowance": monthly_allowance, "is_default": is_default}
    )
    return plan


def credit_pack_ensure(*, name: str, credits: int, price_cents: int) -> CreditPack:
    """The pack named `name`, created with these values when it does not exist yet."""
    defaults = {"credits": credits, "price_cents": price_cents}
    pack, _created = CreditPack.objects.get_or_create(name=name, defaults=defaults)
    return pack


def account_plan_assign(*, account: CreditAccount, plan: Plan | None) -> CreditAccount:
    """Change the plan; its allowance is granted from the next period start."""
    if plan is not None:
        _check_bound(plan.monthly_allowance)
    with transaction.atomic():
        account = _lock(account)
        account.plan = plan
        account.save(update_fields=["plan"])
    return account


def low_credit_threshold_set(*, account: CreditAccount, threshold: int) -> CreditAccount:
    if threshold < 0 or threshold > settings.CREDIT_MAX_GRANT:
        raise CreditError(_("Choose a threshold between 0 and %(max)s.") % {"max": settings.CREDIT_MAX_GRANT})
    with transaction.atomic():
        account = _lock(account)
        account.low_credit_threshold = threshold
        _save(account, [])
    return account


def low_credit_email_send(*, account: CreditAccount) -> bool:
    """The email of a low-credit episode (the flag is set when credit fell under the threshold):
    to the user of a personal account, to each owner and admin of an organisation's pool."""
    if account.organisation_id:
        people = [
            m.user
            for m in Membership.objects.filter(organisation_id=account.organisation_id, role__in=MANAGING_ROLES)
            .select_related("user")
            .order_by("user_id")
        ]
        subject = _("SMS Office: %(organisation)s's SMS credit is running low") % {
            "organisation": account.organisation.name
        }
    else:
        people = [account.user]
        subject = _("SMS Office: your SMS credit is running low")
    sent = False
    for person in people:
        if not person.email:
            continue
        send_mail(
            subject=subject,
            message=_(
                "Hello %(name)s,\n\nYou have %(available)s SMS credits left, under the %(threshold)s you asked "
                "to be warned at. You can buy more on the Credit page.\n"
            )
            % {
                "name": person.get_full_name(),
                "available": account.available,
                "threshold": account.low_credit_threshold,
            },
            from_email=None,
            recipient_list=[person.email],
        )
        sent = True
    return sent


# Internals --------------------------------------------------------------------------


def _lock(account: CreditAccount) -> CreditAccount:
    # of=("self",): lock the account row only (the plan is an outer join, and not ours to lock).
    return (
        CreditAccount.objects.select_for_update(of=("self",))
        .select_related("plan", "user", "organisation")
        .get(pk=account.pk)
    )


def _check_bound(amount: int) -> None:
    """Every amount that enters (grant, pack, purchase, allowance) is at most CREDIT_MAX_GRANT."""
    if amount > settings.CREDIT_MAX_GRANT:
        raise CreditError(_("At most %(max)s credits at once.") % {"max": settings.CREDIT_MAX_GRANT})


def _check_room(account: CreditAccount, amount: int) -> None:
    """Provision, with what is held of it (it may come back), stays within the column."""
    if account.provision_balance + account.provision_held + amount > BALANCE_MAX:
        raise CreditError(
            _("Cannot add %(amount)s credits: the provision balance would be over %(max)s.")
            % {"amount": amount, "max": BALANCE_MAX}
        )


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise CreditError(_("The amount must be a whole number of credits above 0."))


def _check_open(hold: Hold, amount: int) -> None:
    if amount > hold.open:
        raise CreditError(
            _("Hold %(reference)s has %(open)s credits left, not %(amount)s.")
            % {"reference": hold.reference, "open": hold.open, "amount": amount}
        )


def _entry(
    account: CreditAccount,
    kind: str,
    bucket: str,
    available_delta: int = 0,
    held_delta: int = 0,
    *,
    reference: str,
    actor: User | None = None,
    reason: str = "",
    hold_reference: str = "",
    actor_id: int | None = None,
) -> LedgerEntry:
    """A ledger entry for a change already applied to `account`'s counters; `hold_reference`
    names the send it belongs to (its Hold), for the history page's one line per send."""
    if bucket == Bucket.MONTHLY:
        available_after, held_after = account.monthly_remaining, account.monthly_held
    else:
        available_after, held_after = account.provision_balance, account.provision_held
    return LedgerEntry(
        account=account,
        kind=kind,
        bucket=bucket,
        available_delta=available_delta,
        held_delta=held_delta,
        available_after=available_after,
        held_after=held_after,
        reference=reference,
        actor_id=actor.pk if actor is not None else actor_id,
        reason=reason,
        hold_reference=hold_reference,
    )


def _save(account: CreditAccount, entries: list[LedgerEntry]) -> None:
    _update_low_credit_flag(account)
    account.save()
    LedgerEntry.objects.bulk_create(entries)


def _update_low_credit_flag(account: CreditAccount) -> None:
    """Set the flag (and send one email after commit) when credit falls under the threshold."""
    below = account.available < account.low_credit_threshold
    if below and not account.low_credit_warned:
        account.low_credit_warned = True
        from .tasks import send_low_credit_warning  # tasks import services: avoid the cycle

        account_id = account.pk
        transaction.on_commit(lambda: send_low_credit_warning.delay(account_id))
    elif not below and account.low_credit_warned:
        account.low_credit_warned = False


def _roll_over_due_periods(account: CreditAccount, now: dt.datetime) -> int:
    """Apply every due rollover to the locked `account` (saved by the caller)."""
    started = 0
    entries: list[LedgerEntry] = []
    while account.next_rollover_at <= now:
        if account.monthly_remaining:
            expired = account.monthly_remaining
            account.monthly_remaining = 0
            entries.append(
                _entry(
                    account,
                    EntryKind.EXPIRY,
                    Bucket.MONTHLY,
                    -expired,
                    reference=f"account:{account.pk}:period:{account.period_start}",
                )
            )
        account.period_start = account.period_end
        account.period_end = periods.next_period_start(account.period_start, account.anchor_day)
        account.next_rollover_at = periods.local_midnight(account.period_end, account.time_zone)
        entries += _grant_allowance(account)
        started += 1
    LedgerEntry.objects.bulk_create(entries)
    return started


def _grant_allowance(account: CreditAccount) -> list[LedgerEntry]:
    allowance = account.plan.monthly_allowance if account.plan else 0
    account.monthly_allowance = allowance
    account.monthly_remaining = allowance
    account.monthly_used = 0
    if not allowance:
        return []
    return [
        _entry(
            account,
            EntryKind.GRANT,
            Bucket.MONTHLY,
            allowance,
            reference=f"account:{account.pk}:period:{account.period_start}",
        )
    ]


def _flush_usage(account: CreditAccount, usage: "Usage") -> None:
    """Add the captured credits to each period's MonthlyUsage row (one or two periods)."""
    for period_start, (monthly, provision) in usage.items():
        if not monthly and not provision:
            continue
        row, _created = MonthlyUsage.objects.get_or_create(account=account, period_start=period_start)
        MonthlyUsage.objects.filter(pk=row.pk).update(
            monthly_used=F("monthly_used") + monthly, provision_used=F("provision_used") + provision
        )


def _member_usage_add(
    account: CreditAccount, member_id: int, period_start: dt.date, *, charged: int = 0, used: int = 0
) -> None:
    """Add to one member's usage row of a period; the caller holds the account lock, so no
    other writer of this account's rows runs between the update and the insert."""
    if not charged and not used:
        return
    rows = MemberUsage.objects.filter(account=account, member_id=member_id, period_start=period_start)
    if not rows.update(charged=F("charged") + charged, used=F("used") + used):
        MemberUsage.objects.create(
            account=account, member_id=member_id, period_start=period_start, charged=max(charged, 0), used=used
        )


def _decide(purchase: Purchase, actor: User | None, status: str) -> Purchase:
    purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
    if purchase.status != PurchaseStatus.PENDING:
        raise PurchaseAlreadyDecided(
            _("Purchase %(id)s was already %(status)s.") % {"id": purchase.pk, "status": purchase.get_status_display()}
        )
    if actor is not None and not actor.is_staff:
        raise CreditError(_("Only administrators can approve or reject purchases."))
    purchase.status = status
    purchase.decided_at = timezone.now()
    purchase.decided_by = actor
    purchase.save(update_fields=["status", "decided_at", "decided_by"])
    return purchase
