from django.core.management.base import BaseCommand, CommandError

from accounts.phones import format_international
from messaging.services.incoming import IncomingRefused, incoming_receive


class Command(BaseCommand):
    help = (
        "Receive an SMS as if a provider had delivered it (for `make run`, the console and locmem "
        "gateways, and tests): stored, then routed to whoever wrote to that number, or a STOP/START applied."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("from_number", metavar="FROM", help="the sender's number, E.164 (+32475123456)")
        parser.add_argument("text", metavar="TEXT")
        parser.add_argument("--gateway", default="default", help="the SMS_GATEWAYS alias it came through")

    def handle(self, *args, from_number: str, text: str, gateway: str, **options) -> None:
        try:
            received = incoming_receive(gateway=gateway, from_number=from_number, text=text)
        except IncomingRefused as error:
            raise CommandError(str(error)) from error
        incoming = received.incoming
        if incoming.kind != incoming.Kind.REPLY:
            where = incoming.get_kind_display()
        elif incoming.user is not None:
            where = f"reply to {incoming.user.username} (message {incoming.recipient.message_id})"
        else:
            where = "matches no sent SMS: in the administrators' inbox"
        self.stdout.write(f"SMS {incoming.pk} from {format_international(incoming.from_number)}: {where}")
