"""Random sequences mixing members, limits, joins and leaves: the ledger's sums equal the counters
(the pool's, each personal account's, each member's usage row) after every step, and a hold made
under a limit never takes the member past it."""

from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Membership
from accounts.services import membership_add, membership_limit_set, membership_remove, organisation_create
from credits.models import Hold, LedgerEntry, MemberUsage, Plan
from credits.services import (
    InsufficientCredit,
    MemberLimitReached,
    account_for,
    credits_capture,
    credits_grant,
    credits_hold,
    credits_release,
    pool_for,
)
from tests.credits.helpers import assert_ledger_consistent, at
from tests.factories import UserFactory

PEOPLE = 3
steps = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), st.integers(0, PEOPLE - 1), st.integers(1, 8)),
        st.tuples(st.just("capture"), st.integers(0, 30), st.integers(1, 5)),
        st.tuples(st.just("release"), st.integers(0, 30), st.integers(1, 5)),
        st.tuples(st.just("limit"), st.integers(0, PEOPLE - 1), st.one_of(st.none(), st.integers(0, 15))),
        st.tuples(st.just("join"), st.integers(0, PEOPLE - 1)),
        st.tuples(st.just("leave"), st.integers(0, PEOPLE - 1)),
        st.tuples(st.just("grant"), st.integers(1, 10)),
    ),
    max_size=25,
)


class OrganisationLedgerTest(TestCase):
    @settings(max_examples=50, deadline=None)
    @given(allowance=st.integers(0, 20), script=steps)
    def test_the_ledger_equals_the_counters_after_every_step(self, allowance, script):
        Plan.objects.create(name="P", monthly_allowance=allowance, is_default=True)
        owner = UserFactory()
        organisation = organisation_create(name="Acme", owner=owner)
        people = [UserFactory() for _ in range(PEOPLE)]
        now = at(2026, 3, 10)
        pool = pool_for(organisation=organisation, now=now)
        for person in people:
            credits_grant(account=account_for(user=person, now=now), amount=5, reason="own", actor=None)
        for number, step in enumerate(script):
            kind = step[0]
            if kind == "hold":
                person = people[step[1]]
                payer = account_for(user=person, now=now)
                limit = Membership.objects.filter(user=person).values_list("monthly_limit", flat=True).first()
                try:
                    credits_hold(account=payer, amount=step[2], reference=f"h:{number}", member=person, now=now)
                except MemberLimitReached as refused:
                    assert payer == pool and refused.used + step[2] > refused.limit == limit
                except InsufficientCredit:
                    pass
                else:
                    if limit is not None:  # a hold made under a limit never takes the member past it
                        charged = MemberUsage.objects.get(account=pool, member=person).charged
                        assert charged <= limit
            elif kind in ("capture", "release"):
                holds = list(Hold.objects.order_by("id"))
                if holds:
                    hold = holds[step[1] % len(holds)]
                    amount = min(step[2], hold.open)
                    if amount:
                        settle = credits_capture if kind == "capture" else credits_release
                        settle(hold=hold, amount=amount, reference=f"s:{number}", now=now)
            elif kind == "limit":
                person = people[step[1]]
                if Membership.objects.filter(user=person).exists():
                    membership_limit_set(organisation=organisation, user=person, limit=step[2])
            elif kind == "join":
                if not Membership.objects.filter(user=people[step[1]]).exists():
                    membership_add(organisation=organisation, user=people[step[1]])
            elif kind == "leave":
                membership = Membership.objects.filter(user=people[step[1]]).first()
                if membership is not None:
                    membership_remove(membership=membership)
            else:
                credits_grant(account=pool, amount=step[1], reason="top up", actor=None)
            self.check(pool, people)

    def check(self, pool, people) -> None:
        assert_ledger_consistent(pool)
        for person in people:
            assert_ledger_consistent(account_for(user=person))  # personal (or the pool again)
            # The member's usage row is what their pool holds and used: held minus given back.
            usage = MemberUsage.objects.filter(account=pool, member=person).first()
            holds = Hold.objects.filter(account=pool, member=person)
            held = holds.aggregate(total=Sum("monthly_amount", default=0) + Sum("provision_amount", default=0))
            released = LedgerEntry.objects.filter(
                account=pool, actor=person, kind__in=["release", "expiry"], hold_reference__startswith="h:"
            ).aggregate(total=Sum("held_delta", default=0))
            captured = LedgerEntry.objects.filter(account=pool, actor=person, kind="capture").aggregate(
                total=Sum("held_delta", default=0)
            )
            charged = held["total"] + released["total"]
            assert (usage.charged if usage else 0, usage.used if usage else 0) == (charged, -captured["total"])
