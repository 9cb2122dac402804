"""The embedded default: logs each fax and reports it handed over."""

import logging

from messaging.gateways.base import Outcome, SendResult

from .base import BaseFaxGateway, OutgoingFax

logger = logging.getLogger("smsoffice.fax")


class ConsoleFaxGateway(BaseFaxGateway):
    def send_many(self, faxes: list[OutgoingFax]) -> list[SendResult]:
        for fax in faxes:
            logger.info("fax to %s: %r, %s bytes of PDF", fax.to, fax.subject, len(fax.pdf))
        return [SendResult(Outcome.ACCEPTED, provider_id=f"console-fax-{fax.delivery_id}") for fax in faxes]
