"""Random sequences of credit operations keep every rule of the ledger."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from credits.models import Bucket, EntryKind, Hold, LedgerEntry, Plan
from credits.services import (
    InsufficientCredit,
    account_for,
    credits_capture,
    credits_grant,
    credits_hold,
    credits_release,
    period_rollover,
)
from tests.credits.helpers import assert_ledger_consistent, at
from tests.factories import UserFactory

operations = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), st.integers(1, 40)),
        st.tuples(st.just("capture"), st.integers(0, 20), st.integers(1, 10)),
        st.tuples(st.just("release"), st.integers(0, 20), st.integers(1, 10)),
        st.tuples(st.just("grant"), st.integers(-20, 30)),
        st.tuples(st.just("time"), st.integers(1, 45)),
    ),
    max_size=30,
)


class LedgerPropertiesTest(TestCase):
    @settings(max_examples=60, deadline=None)
    @given(allowance=st.integers(0, 30), steps=operations)
    def test_balances_stay_consistent_and_monthly_is_spent_first(self, allowance, steps):
        Plan.objects.create(name="P", monthly_allowance=allowance, is_default=True)
        account = account_for(user=UserFactory(time_zone="Europe/Brussels"), now=at(2026, 1, 31))
        now = at(2026, 1, 31)
        provision_in = 0  # provision added by grants, minus removals: never lost to expiry
        for number, step in enumerate(steps):
            reference = f"op:{number}"
            if step[0] == "hold":
                account.refresh_from_db()
                monthly_before = account.monthly_remaining
                try:
                    hold = credits_hold(account=account, amount=step[1], reference=reference, now=now)
                except InsufficientCredit as error:
                    assert error.needed > error.available
                else:
                    # The monthly quota first: provision only once the quota is used up.
                    if hold.provision_amount:
                        assert hold.monthly_amount == monthly_before
                    else:
                        assert hold.monthly_amount == step[1]
            elif step[0] in ("capture", "release"):
                holds = list(Hold.objects.filter(account=account).order_by("id"))
                if holds:
                    hold = holds[step[1] % len(holds)]
                    amount = min(step[2], hold.open)
                    if amount:
                        service = credits_capture if step[0] == "capture" else credits_release
                        service(hold=hold, amount=amount, reference=reference, now=now)
            elif step[0] == "grant":
                account.refresh_from_db()
                if (step[1] > 0 or -step[1] <= account.provision_balance) and step[1]:
                    credits_grant(account=account, amount=step[1], reason="p", actor=None)
                    provision_in += step[1]
            else:
                now += dt.timedelta(days=step[1])
                period_rollover(account=account, now=now)
            assert_ledger_consistent(account)

        account.refresh_from_db()
        assert not LedgerEntry.objects.filter(account=account, bucket=Bucket.PROVISION, kind=EntryKind.EXPIRY).exists()
        # Provision is what was granted, less what is held or was captured: never expired.
        captured = -sum(
            e.held_delta
            for e in LedgerEntry.objects.filter(account=account, bucket=Bucket.PROVISION, kind=EntryKind.CAPTURE)
        )
        assert account.provision_balance + account.provision_held + captured == provision_in
