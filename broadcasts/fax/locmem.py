"""For tests: keeps what was sent in `outbox` and answers scripted results."""

from collections.abc import Callable

from messaging.gateways.base import Outcome, SendResult

from .base import BaseFaxGateway, OutgoingFax


class LocmemFaxGateway(BaseFaxGateway):
    outbox: list[OutgoingFax] = []
    script: Callable[[OutgoingFax], SendResult] | None = None

    @classmethod
    def reset(cls) -> None:
        cls.outbox = []
        cls.script = None

    def send_many(self, faxes: list[OutgoingFax]) -> list[SendResult]:
        script = LocmemFaxGateway.script  # read on the class: a stored function would bind as a method
        results = []
        for fax in faxes:
            result = (
                script(fax) if script else SendResult(Outcome.ACCEPTED, provider_id=f"locmem-fax-{fax.delivery_id}")
            )
            if result.outcome == Outcome.ACCEPTED:
                LocmemFaxGateway.outbox.append(fax)
            results.append(result)
        return results
