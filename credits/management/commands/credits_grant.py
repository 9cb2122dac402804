from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from credits.services import CreditError, account_for, credits_grant


class Command(BaseCommand):
    help = "Add provision to a user's credit (a negative amount removes it, never below zero)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("amount", type=int)
        parser.add_argument("--reason", required=True, help="kept in the ledger")

    def handle(self, *args, username: str, amount: int, reason: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            account = credits_grant(
                account=account_for(user=user), amount=amount, reason=f"{reason} (command line)", actor=None
            )
        except CreditError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{username}: monthly {account.monthly_remaining} (held {account.monthly_held}), "
            f"provision {account.provision_balance} (held {account.provision_held})"
        )
