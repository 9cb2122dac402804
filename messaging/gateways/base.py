"""The gateway contract, shaped like Django's email backends.

`send_many(messages)` hands a chunk to the provider and answers one SendResult per
message, in order. It never raises for one message's problem: that is the
message's result. It raises GatewayTransientError when the whole chunk may be
retried (nothing was handed over), GatewayPermanentError when the configuration is
wrong for every message.
"""

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from .flow import Flow


class GatewayTransientError(Exception):
    """Nothing was handed to the provider; the same chunk may be retried later."""


class GatewayPermanentError(Exception):
    """The provider refused in a way a retry will not change."""


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"  # the SMS centre took it: the credit is spent
    FAILED = "failed"  # refused before the SMS centre: the credit comes back
    RETRY = "retry"  # refused for now (rate limit, provider down): try again later
    UNKNOWN = "unknown"  # handed over but no answer: never resent blindly


@dataclass(frozen=True)
class OutgoingSMS:
    recipient_id: int
    to: str  # E.164
    text: str
    # An approved alphanumeric sender ID ("ACME"); "" = the gateway's own number (FROM).
    sender: str = ""


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider_id: str = ""
    code: str = ""
    reason: str = ""
    # Seconds the provider asked us to wait (HTTP 429 Retry-After, Twilio 20429): the
    # whole gateway pauses that long (flow.py) and the row waits at least that long.
    retry_after: float = 0.0
    # False: the gateway was never called for this item (paused, circuit open, no token):
    # the outbox puts it back without counting an attempt.
    handed_over: bool = True


@dataclass(frozen=True)
class Unsettled:
    """An SMS whose outcome we do not know: what reconciliation asks the provider about."""

    recipient_id: int
    to: str  # E.164
    text: str
    provider_id: str  # empty when the provider never answered
    since: dt.datetime  # when it was claimed: it cannot have been sent before
    sender: str = ""  # the sender ID it went out as; "" = the gateway's number


@dataclass(frozen=True)
class Found:
    """One message the provider has for an Unsettled SMS."""

    provider_id: str
    status: str  # a RecipientStatus value for what the provider says now


@dataclass(frozen=True)
class Lookup:
    """The provider's answer about one Unsettled SMS: `found` holds the messages that
    match it (oldest first; none: not there); `error` says why it could not tell."""

    found: tuple[Found, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    """What a delivery report says about one SMS: a RecipientStatus value."""

    provider_id: str
    status: str
    code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class IncomingData:
    """An SMS someone sent to our number, as a provider's webhook gives it (not yet checked)."""

    provider_id: str
    from_number: str
    to_number: str
    text: str


class BaseGateway:
    """One configured gateway; `alias` is its key in its channel's setting (SMS_GATEWAYS...)."""

    channel = "sms"  # set by the registry: "sms", "fax" or "email"
    # Flow control (flow.py) this kind of gateway has unless its OPTIONS say otherwise.
    flow_defaults: dict = {}
    flow: "Flow"  # set by the registry

    def __init__(self, alias: str, options: dict) -> None:
        self.alias = alias
        self.options = options

    def send_many(self, messages: list) -> list[SendResult]:
        """One result per item (OutgoingSMS, a fax, an email), in order."""
        raise NotImplementedError

    # A gateway that sends one item a request may define
    #     async def send_one_async(self, item) -> SendResult
    # instead of send_many: the engine then keeps MAX_IN_FLIGHT of them open at once.

    def close(self) -> None:
        """Let go of connections (the registry forgets this gateway)."""

    def lookup_many(self, items: list[Unsettled]) -> list[Lookup]:
        """What the provider knows of each SMS whose outcome is unknown (reconciliation).
        A gateway that cannot tell answers an error for each: they stay `unknown`."""
        return [Lookup(error=f"gateway {self.alias} cannot look messages up")] * len(items)

    def parse_status_callback(self, request: HttpRequest) -> list[StatusUpdate]:
        """Read a provider's delivery report; raise GatewayPermanentError when it is not genuine."""
        raise GatewayPermanentError(f"gateway {self.alias} takes no status callbacks")

    def parse_incoming(self, request: HttpRequest) -> IncomingData:
        """Read a provider's incoming-message webhook; raise GatewayPermanentError when it is not genuine.

        Gateways without one (console, locmem) take incoming SMS through `manage.py sms_receive`."""
        raise GatewayPermanentError(f"gateway {self.alias} takes no incoming-message webhook")

    @property
    def takes_incoming_webhook(self) -> bool:
        return type(self).parse_incoming is not BaseGateway.parse_incoming
