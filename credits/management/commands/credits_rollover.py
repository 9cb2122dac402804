from django.core.management.base import BaseCommand

from credits.services import rollover_due_accounts


class Command(BaseCommand):
    help = "Start the new credit period of every account that is due (what beat runs); safe to repeat."

    def handle(self, *args, **options) -> None:
        count = rollover_due_accounts()
        self.stdout.write(f"{count} accounts rolled over.")
