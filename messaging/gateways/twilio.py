"""Twilio, through its official SDK.

OPTIONS (from the environment, see settings): ACCOUNT_SID, AUTH_TOKEN, FROM (a
number or a Messaging Service SID "MG..."), STATUS_CALLBACK_URL (the public URL of
our webhook, /webhooks/sms/<alias>/status/), TIMEOUT (seconds, default 10) and
BASE_URL (default https://api.twilio.com; tests point it at a fake server on
loopback through RebasingHttpClient).

Twilio has no batch endpoint: `send_many` makes one API call per message, CONCURRENCY
(default 4) at a time over keep-alive connections, and answers in the chunk's order.
"""

from concurrent.futures import ThreadPoolExecutor

import requests
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from messaging.models import RecipientStatus

from .base import (
    BaseGateway,
    GatewayPermanentError,
    IncomingData,
    Outcome,
    OutgoingSMS,
    SendResult,
    StatusUpdate,
)

TWILIO_API = "https://api.twilio.com"
REQUIRED = ("ACCOUNT_SID", "AUTH_TOKEN", "FROM")

# Twilio's MessageStatus in callbacks -> our recipient states. "failed" after the
# API accepted the message is a delivery failure past the SMS centre: not refunded.
CALLBACK_STATES = {
    "sent": RecipientStatus.ACCEPTED,
    "delivered": RecipientStatus.DELIVERED,
    "undelivered": RecipientStatus.UNDELIVERED,
    "failed": RecipientStatus.UNDELIVERED,
    "canceled": RecipientStatus.UNDELIVERED,
}


class RebasingHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, sending to `base_url` instead of api.twilio.com."""

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioGateway(BaseGateway):
    def __init__(self, alias: str, options: dict) -> None:
        super().__init__(alias, options)
        missing = [name for name in REQUIRED if not options.get(name)]
        if missing:
            raise ImproperlyConfigured(
                f"SMS gateway {alias!r} (Twilio) needs {', '.join(missing)}: set "
                + ", ".join(f"TWILIO_{name}" for name in missing)
                + " in the environment."
            )
        timeout = float(options.get("TIMEOUT", 10))
        http_client = RebasingHttpClient(options.get("BASE_URL", TWILIO_API), timeout=timeout)
        self.client = Client(options["ACCOUNT_SID"], options["AUTH_TOKEN"], http_client=http_client)
        self.validator = RequestValidator(options["AUTH_TOKEN"])

    def send_many(self, messages: list[OutgoingSMS]) -> list[SendResult]:
        # The calls wait on the network, not the CPU: a few in flight at once multiply
        # the rate; map() keeps the results in the chunk's order.
        workers = max(1, int(self.options.get("CONCURRENCY", 4)))
        if workers == 1 or len(messages) == 1:
            return [self._send(sms) for sms in messages]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self._send, messages))

    def _send(self, sms: OutgoingSMS) -> SendResult:
        sender = self.options["FROM"]
        arguments = {"to": sms.to, "body": sms.text}
        arguments["messaging_service_sid" if sender.startswith("MG") else "from_"] = sender
        if self.options.get("STATUS_CALLBACK_URL"):
            arguments["status_callback"] = self.options["STATUS_CALLBACK_URL"]
        try:
            message = self.client.messages.create(**arguments)
        except TwilioRestException as error:
            return _refusal(error)
        except requests.ConnectionError as error:
            if isinstance(error, requests.exceptions.ConnectTimeout) or _never_sent(error):
                return SendResult(Outcome.RETRY, code="connection", reason=str(error)[:300])
            return SendResult(Outcome.UNKNOWN, code="connection", reason=str(error)[:300])
        except requests.Timeout as error:
            # The request went out and no answer came: Twilio may have sent it. Never resend blindly.
            return SendResult(Outcome.UNKNOWN, code="timeout", reason=str(error)[:300])
        return SendResult(Outcome.ACCEPTED, provider_id=message.sid)

    def parse_status_callback(self, request: HttpRequest) -> list[StatusUpdate]:
        params = self._signed_params(request, self.options.get("STATUS_CALLBACK_URL"))
        state = CALLBACK_STATES.get(params.get("MessageStatus", ""))
        sid = params.get("MessageSid", "")
        if state is None or not sid:
            return []
        return [StatusUpdate(sid, state, code=params.get("ErrorCode", ""), reason=params.get("ErrorMessage", ""))]

    def parse_incoming(self, request: HttpRequest) -> IncomingData:
        """Twilio's "A message comes in" webhook: MessageSid, From, To, Body, signed like callbacks."""
        params = self._signed_params(request, self.options.get("INCOMING_URL"))
        return IncomingData(
            provider_id=params.get("MessageSid", ""),
            from_number=params.get("From", ""),
            to_number=params.get("To", ""),
            text=params.get("Body", ""),
        )

    def _signed_params(self, request: HttpRequest, url: str | None) -> dict[str, str]:
        """The POSTed form, if X-Twilio-Signature signs it for `url` (the public URL Twilio was
        given; behind a proxy the one Django sees may differ)."""
        signature = request.headers.get("X-Twilio-Signature", "")
        params = request.POST.dict()
        if not signature or not self.validator.validate(url or request.build_absolute_uri(), params, signature):
            raise GatewayPermanentError("invalid X-Twilio-Signature")
        return params


def _refusal(error: TwilioRestException) -> SendResult:
    code, reason = str(error.code or error.status), (error.msg or "")[:300]
    if error.status == 429 or error.status >= 500:
        return SendResult(Outcome.RETRY, code=code, reason=reason)
    return SendResult(Outcome.FAILED, code=code, reason=reason)


def _never_sent(error: requests.ConnectionError) -> bool:
    """A refused or unreachable connection: the request never reached Twilio, so a retry is safe."""
    text = str(error).lower()
    return "connection refused" in text or "name or service not known" in text or "failed to establish" in text
