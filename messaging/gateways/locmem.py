"""For tests: keeps what was sent in `outbox` and answers scripted results."""

from collections.abc import Callable

from .base import BaseGateway, GatewayTransientError, Outcome, OutgoingSMS, SendResult

Script = Callable[[OutgoingSMS], SendResult]


class LocmemGateway(BaseGateway):
    outbox: list[OutgoingSMS] = []
    # A function deciding each message's result (default: accepted), or
    # GatewayTransientError to refuse whole chunks.
    script: Script | None = None
    chunk_error: GatewayTransientError | None = None

    @classmethod
    def reset(cls) -> None:
        cls.outbox = []
        cls.script = None
        cls.chunk_error = None

    def send_many(self, messages: list[OutgoingSMS]) -> list[SendResult]:
        # Read on the class: a function stored as a class attribute would bind as a method.
        if LocmemGateway.chunk_error is not None:
            raise LocmemGateway.chunk_error
        script = LocmemGateway.script
        results = []
        for sms in messages:
            result = script(sms) if script else SendResult(Outcome.ACCEPTED)
            if result.outcome in (Outcome.ACCEPTED, Outcome.UNKNOWN):
                LocmemGateway.outbox.append(sms)
            if result.outcome == Outcome.ACCEPTED and not result.provider_id:
                result = SendResult(Outcome.ACCEPTED, provider_id=f"locmem-{sms.recipient_id}")
            results.append(result)
        return results
