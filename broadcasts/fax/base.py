"""What a fax gateway is handed: one PDF for one number."""

from dataclasses import dataclass

from messaging.gateways.base import BaseGateway


@dataclass(frozen=True)
class OutgoingFax:
    delivery_id: int
    to: str  # E.164
    subject: str
    pdf: bytes


class BaseFaxGateway(BaseGateway):
    """A gateway of the fax channel: `send_many(list[OutgoingFax])`."""
