from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.services import OrganisationError, organisation_create
from credits.models import Plan
from credits.services import pool_for


class Command(BaseCommand):
    help = "Create an organisation with its first owner and its credit pool (on PLAN, or the default plan)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--owner", required=True, help="the username of its first owner")
        parser.add_argument("--plan", help="the plan's name (default: the default plan)")

    def handle(self, *args, name: str, owner: str, plan: str | None, **options) -> None:
        user = User.objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user named {owner!r}.")
        chosen = None
        if plan is not None:
            chosen = Plan.objects.filter(name=plan).first()
            if chosen is None:
                names = ", ".join(Plan.objects.values_list("name", flat=True)) or "none"
                raise CommandError(f"No plan named {plan!r} (plans: {names}).")
        if chosen is not None and chosen.monthly_allowance > settings.CREDIT_MAX_GRANT:
            raise CommandError(f"Plan {plan!r} grants more than CREDIT_MAX_GRANT.")
        try:
            # One transaction: an organisation is never left without its pool.
            with transaction.atomic():
                organisation = organisation_create(name=name, owner=user)
                pool = pool_for(organisation=organisation, plan=chosen)
        except OrganisationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{organisation.name}: owner {user.username}, plan {pool.plan.name if pool.plan else 'none'}, "
            f"monthly {pool.monthly_remaining}"
        )
