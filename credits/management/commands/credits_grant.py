from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation, User
from credits.services import CreditError, credits_grant, personal_account_for, pool_for


class Command(BaseCommand):
    help = (
        "Add provision to a user's credit, or with --organisation to an organisation's pool "
        "(a negative amount removes it, never below zero)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", nargs="?", help="whose personal account (omit with --organisation)")
        parser.add_argument("amount", type=int)
        parser.add_argument("--organisation", help="the organisation's name: its pool instead of a user's account")
        parser.add_argument("--reason", required=True, help="kept in the ledger")

    def handle(
        self, *args, username: str | None, amount: int, organisation: str | None, reason: str, **options
    ) -> None:
        if (username is None) == (organisation is None):
            raise CommandError("Name a user or an --organisation, not both.")
        if organisation is not None:
            found = Organisation.objects.filter(name=organisation).first()
            if found is None:
                raise CommandError(f"No organisation named {organisation!r}.")
            account, name = pool_for(organisation=found), found.name
        else:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user named {username!r}.")
            # The user's own account, as before organisations: a grant to a team goes to its pool by name.
            account, name = personal_account_for(user=user), username
        try:
            account = credits_grant(account=account, amount=amount, reason=f"{reason} (command line)", actor=None)
        except CreditError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{name}: monthly {account.monthly_remaining} (held {account.monthly_held}), "
            f"provision {account.provision_balance} (held {account.provision_held})"
        )
