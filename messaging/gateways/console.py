"""The embedded default: prints each SMS, accepts it, and reports it delivered a moment later."""

import logging
import uuid

from .base import BaseGateway, Outcome, OutgoingSMS, SendResult

logger = logging.getLogger("smsoffice.sms")


class ConsoleGateway(BaseGateway):
    """OPTIONS: DELIVERY_DELAY seconds before the simulated delivery report (default 2)."""

    def send_many(self, messages: list[OutgoingSMS]) -> list[SendResult]:
        results = []
        for sms in messages:
            provider_id = f"console-{uuid.uuid4().hex[:16]}"
            sender = sms.sender or "the number"
            logger.info("SMS to %s from %s (%s): %s", sms.to, sender, provider_id, sms.text)
            results.append(SendResult(Outcome.ACCEPTED, provider_id=provider_id))
        # Like a real SMS centre, a delivery report follows a moment later (by then
        # the dispatch has recorded the provider ids the report refers to).
        from messaging.tasks import console_delivery_report

        delay = float(self.options.get("DELIVERY_DELAY", 2))
        console_delivery_report.apply_async(([r.provider_id for r in results],), countdown=delay)
        return results
