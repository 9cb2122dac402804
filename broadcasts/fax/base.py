"""What a fax gateway is handed: one PDF for one number."""

from dataclasses import dataclass

from messaging.gateways.base import SendResult


@dataclass(frozen=True)
class OutgoingFax:
    delivery_id: int
    to: str  # E.164
    subject: str
    pdf: bytes


class BaseFaxGateway:
    def __init__(self, options: dict) -> None:
        self.options = options

    def send_many(self, faxes: list[OutgoingFax]) -> list[SendResult]:
        raise NotImplementedError
