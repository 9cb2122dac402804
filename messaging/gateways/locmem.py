"""For tests, every channel: keeps what was sent in its channel's `outbox` and answers
scripted results. `LocmemGateway.of("sms")` (or "fax", "email") is that channel's state."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .base import BaseGateway, GatewayTransientError, Outcome, SendResult


@dataclass
class LocmemChannel:
    outbox: list = field(default_factory=list)
    # A function deciding each item's result (default: accepted), or
    # GatewayTransientError to refuse whole chunks.
    script: Callable[[object], SendResult] | None = None
    chunk_error: GatewayTransientError | None = None


class LocmemGateway(BaseGateway):
    channels: dict[str, LocmemChannel] = {}

    @classmethod
    def of(cls, channel: str) -> LocmemChannel:
        return cls.channels.setdefault(channel, LocmemChannel())

    @classmethod
    def reset(cls) -> None:
        cls.channels.clear()

    def send_many(self, messages: list) -> list[SendResult]:
        state = LocmemGateway.of(self.channel)
        if state.chunk_error is not None:
            raise state.chunk_error
        results = []
        for item in messages:
            result = state.script(item) if state.script else SendResult(Outcome.ACCEPTED)
            if result.outcome in (Outcome.ACCEPTED, Outcome.UNKNOWN):
                state.outbox.append(item)
            if result.outcome == Outcome.ACCEPTED and not result.provider_id:
                result = SendResult(Outcome.ACCEPTED, provider_id=f"locmem-{self.channel}-{_row_id(item)}")
            results.append(result)
        return results


def _row_id(item) -> int:
    return getattr(item, "recipient_id", None) or item.delivery_id
