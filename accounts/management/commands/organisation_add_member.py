from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organisation, Role, User
from accounts.services import OrganisationError, membership_add, membership_limit_set


class Command(BaseCommand):
    help = "Add a user to an organisation, with a role and an optional monthly limit (credits a period)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the organisation's name")
        parser.add_argument("username")
        parser.add_argument("--role", default=Role.MEMBER, choices=Role.values)
        parser.add_argument("--limit", type=int, help="credits this member may use a period (default: no limit)")

    def handle(self, *args, name: str, username: str, role: str, limit: int | None, **options) -> None:
        organisation = Organisation.objects.filter(name=name).first()
        if organisation is None:
            raise CommandError(f"No organisation named {name!r}.")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            with transaction.atomic():  # a refused limit adds no member
                membership_add(organisation=organisation, user=user, role=role)
                membership = membership_limit_set(organisation=organisation, user=user, limit=limit)
        except OrganisationError as error:
            raise CommandError(str(error)) from error
        shown = "no limit" if membership.monthly_limit is None else f"limit {membership.monthly_limit}"
        self.stdout.write(f"{username} joined {organisation.name} as {membership.role} ({shown}).")
