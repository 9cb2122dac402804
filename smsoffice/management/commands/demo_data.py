"""Create the demo account and a few contacts, once: `make run` calls this at every start."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import (
    address_books_ensure,
    contact_list_save,
    contact_save,
    group_join,
    list_member_add_address,
    list_member_add_contact,
    phone_entry,
    user_create,
)
from credits.services import account_for, credit_pack_ensure, credits_grant, plan_ensure
from messaging.services.senders import sender_id_decide, sender_id_request

DEMO_USERNAME = "demo"
# A development account on a developer's own machine, created only in an empty database.
DEMO_PASSWORD = "demo-sms-office"  # noqa: S105


def _demo_credit(demo: User) -> None:
    """A default plan with 100 SMS a month, three packs on sale, and 50 credits of provision."""
    plan_ensure(name="Standard", monthly_allowance=100, is_default=True)
    for name, credits, price_cents in [("Small", 100, 900), ("Medium", 500, 4000), ("Large", 1000, 7500)]:
        credit_pack_ensure(name=name, credits=credits, price_cents=price_cents)
    credits_grant(account=account_for(user=demo), amount=50, reason="demo credit", actor=None)


class Command(BaseCommand):
    help = "Create a demo user with contacts when the database has no user yet; print how to log in."

    def handle(self, *args, **options) -> None:
        if User.objects.exists():
            if User.objects.filter(username=DEMO_USERNAME).exists():
                self.stdout.write(f"Demo account: {DEMO_USERNAME} / {DEMO_PASSWORD}")
            return
        with transaction.atomic():
            self._create()
        self.stdout.write(self.style.SUCCESS(f"Created the demo account: {DEMO_USERNAME} / {DEMO_PASSWORD}"))

    def _create(self) -> None:
        demo = user_create(
            username=DEMO_USERNAME,
            password=DEMO_PASSWORD,
            email="demo@example.com",
            full_name="Demo User",
            mobile="+32475000001",
            is_staff=True,
            is_superuser=True,
        )
        team = group_join(user=demo, name="Sales team")
        private, shared = address_books_ensure(user=demo)
        ann = contact_save(
            book=private,
            name="Ann Peeters",
            organisation="Peeters & Co",
            emails=["ann@example.com"],
            phone_entries=[
                phone_entry(raw="+32 475 12 34 56", label="mobile", default_region="BE", keep_unreadable=False),
                phone_entry(raw="+32 2 555 12 12", label="work", default_region="BE", keep_unreadable=False),
            ],
        )
        contact_save(
            book=shared,
            name="Bob Janssens",
            emails=["bob@example.com"],
            phone_entries=[
                phone_entry(raw="0032 486 11 22 33", label="mobile", default_region="BE", keep_unreadable=False)
            ],
        )
        _demo_credit(demo)
        customers = contact_list_save(name="Customers", group=team)
        list_member_add_contact(contact_list=customers, contact=ann)
        list_member_add_address(contact_list=customers, entry="+33 6 12 34 56 78", default_region="BE")
        # A sender ID to pick in the composer (the demo user is also the administrator who approves it).
        now = timezone.now()
        sender_id = sender_id_request(user=demo, name="SMS Office", now=now)
        sender_id_decide(sender_id=sender_id, approve=True, by=demo, now=now)
