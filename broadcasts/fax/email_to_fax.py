"""Fax by email: the PDF is mailed as an attachment to an address built from the number.

Many fax providers take faxes this way (`32475123456@fax.example`). OPTIONS:
  ADDRESS  the address pattern: {number} is the E.164 number without "+", {e164} with it
  FROM     the sender the provider knows (default: DEFAULT_FROM_EMAIL)
Mail goes through Django's email backend (EMAIL_URL), like the Messages tool's emails.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage

from broadcasts.mail import send_each
from messaging.gateways.base import SendResult

from .base import BaseFaxGateway, OutgoingFax


class EmailToFaxGateway(BaseFaxGateway):
    def __init__(self, alias: str, options: dict) -> None:
        super().__init__(alias, options)
        self.pattern = options.get("ADDRESS", "")
        if "{number}" not in self.pattern and "{e164}" not in self.pattern:
            raise ImproperlyConfigured(
                "FAX_EMAIL_ADDRESS must contain {number} or {e164}, for example {number}@fax.example."
            )
        self.sender = options.get("FROM") or settings.DEFAULT_FROM_EMAIL

    def address_for(self, e164: str) -> str:
        return self.pattern.format(number=e164.lstrip("+"), e164=e164)

    def send_many(self, faxes: list[OutgoingFax]) -> list[SendResult]:
        emails = []
        for fax in faxes:
            email = EmailMessage(
                subject=fax.subject, body=fax.subject, from_email=self.sender, to=[self.address_for(fax.to)]
            )
            email.attach(f"fax-{fax.delivery_id}.pdf", fax.pdf, "application/pdf")
            emails.append(email)
        return send_each(emails)
