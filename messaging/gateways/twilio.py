"""Twilio, through its official SDK and its async client (aiohttp).

OPTIONS (from the environment, see settings): ACCOUNT_SID, AUTH_TOKEN, FROM (a
number or a Messaging Service SID "MG..."), STATUS_CALLBACK_URL (the public URL of
our webhook, /webhooks/sms/<alias>/status/), TIMEOUT (seconds, default 10), BASE_URL
(default https://api.twilio.com; tests point it at a fake server on loopback), and the
flow control of every gateway (flow.py): RATE, BURST, MAX_IN_FLIGHT (default 100),
BREAKER_FAILURES (default 5), BREAKER_COOLDOWN, MAX_WAIT.

Twilio has no batch endpoint: `send_one_async` makes one API call per message and the
engine keeps MAX_IN_FLIGHT of them open on one keep-alive connection pool, so a
provider 100 ms away costs little more than one next door. `lookup_many` asks Twilio
about SMS whose outcome is unknown: the message by its SID when we have one, else the
messages to that number since the claim (reconciliation).

What an answer means: 201 with a SID -> accepted; 4xx -> failed (the provider's code
and words kept); 429 or 20429 -> retry after Retry-After (the whole gateway waits);
5xx or a refused connection -> retry; a read timeout, a dropped connection, or a 2xx
we cannot read (truncated JSON, an HTML page, no SID) -> unknown, never accepted and
never resent blindly: reconciliation asks Twilio later.
"""

import asyncio
import datetime as dt
import email.utils
import json
import os
from contextvars import ContextVar

import aiohttp
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from messaging.models import RecipientStatus

from .base import (
    BaseGateway,
    Found,
    GatewayPermanentError,
    IncomingData,
    Lookup,
    Outcome,
    OutgoingSMS,
    SendResult,
    StatusUpdate,
    Unsettled,
)
from .flow import run_async

TWILIO_API = "https://api.twilio.com"
REQUIRED = ("ACCOUNT_SID", "AUTH_TOKEN", "FROM")
# Twilio's 20429 (or a 429) without a Retry-After header: wait this long.
DEFAULT_RETRY_AFTER = 1.0
# A message Twilio created shortly before our claim's clock said (clocks differ) still counts.
CLOCK_SKEW = dt.timedelta(seconds=60)

# Twilio's MessageStatus in callbacks -> our recipient states. "failed" after the
# API accepted the message is a delivery failure past the SMS centre: not refunded.
CALLBACK_STATES = {
    "sent": RecipientStatus.ACCEPTED,
    "delivered": RecipientStatus.DELIVERED,
    "undelivered": RecipientStatus.UNDELIVERED,
    "failed": RecipientStatus.UNDELIVERED,
    "canceled": RecipientStatus.UNDELIVERED,
}
# A message found by reconciliation: taken by Twilio in any of these states.
FOUND_STATES = {
    **CALLBACK_STATES,
    "accepted": RecipientStatus.ACCEPTED,
    "scheduled": RecipientStatus.ACCEPTED,
    "queued": RecipientStatus.ACCEPTED,
    "sending": RecipientStatus.ACCEPTED,
}

# The raw answer of the request the current task made: the SDK's exceptions keep neither
# the headers (Retry-After) nor a body that is not JSON (an HTML error page).
_answer: ContextVar[dict | None] = ContextVar("twilio_answer", default=None)


class RebasingAsyncHttpClient(AsyncTwilioHttpClient):
    """The SDK's async HTTP client, sending to `base_url` instead of api.twilio.com, with
    one connection pool per process (made inside the event loop that uses it) and
    separate connect and read timeouts: a connection never made is safe to retry, an
    answer that never came is not."""

    def __init__(self, base_url: str, *, timeout: float, connections: int) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self.connections = connections
        self._session: tuple[int, aiohttp.ClientSession] | None = None

    def _pool(self) -> aiohttp.ClientSession:
        if self._session is None or self._session[0] != os.getpid():
            connector = aiohttp.TCPConnector(limit=self.connections)
            self._session = (os.getpid(), aiohttp.ClientSession(connector=connector))
        return self._session[1]

    async def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        seconds = timeout or self.timeout or 10
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = aiohttp.encode_basic_auth(*auth)
        async with self._pool().request(
            method.upper(),
            url,
            params=params,
            data=data,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds),
            allow_redirects=False,
        ) as answer:
            text = await answer.text(errors="replace")
        response = Response(answer.status, text, answer.headers)
        box = _answer.get()
        if box is not None:
            box["response"] = response
        return response

    async def close(self) -> None:
        if self._session is not None and self._session[0] == os.getpid():
            await self._session[1].close()
        self._session = None


class TwilioGateway(BaseGateway):
    flow_defaults = {"MAX_IN_FLIGHT": 100, "BREAKER_FAILURES": 5, "BREAKER_COOLDOWN": 30.0}

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
        connections = max(1, int(options.get("MAX_IN_FLIGHT", self.flow_defaults["MAX_IN_FLIGHT"])))
        http_client = RebasingAsyncHttpClient(
            options.get("BASE_URL", TWILIO_API), timeout=timeout, connections=connections
        )
        self.client = Client(options["ACCOUNT_SID"], options["AUTH_TOKEN"], http_client=http_client)
        # The SDK imports its API modules on first use: a tenth of a second or more that
        # would stall the event loop under the first chunk's reserved tokens, whose
        # requests would then leave late and in a bunch. Imported now, at start-up.
        self.client.messages  # noqa: B018
        self.validator = RequestValidator(options["AUTH_TOKEN"])

    async def send_one_async(self, sms: OutgoingSMS) -> SendResult:
        sender = self.options["FROM"]
        arguments = {"to": sms.to, "body": sms.text}
        arguments["messaging_service_sid" if sender.startswith("MG") else "from_"] = sender
        if sms.sender:
            # An approved alphanumeric sender ID: Twilio takes it as From (with a Messaging
            # Service too, whose own sender it then replaces). Nobody can answer it.
            arguments["from_"] = sms.sender
        if self.options.get("STATUS_CALLBACK_URL"):
            arguments["status_callback"] = self.options["STATUS_CALLBACK_URL"]
        box: dict = {}
        _answer.set(box)  # this task's own context: concurrent sends do not mix answers
        try:
            message = await self.client.messages.create_async(**arguments)
        except TwilioRestException as error:
            return _refusal(error, box.get("response"))
        except aiohttp.ClientConnectorError as error:
            # Refused, unreachable, or no connection in time: the request never left.
            return SendResult(Outcome.RETRY, code="connection", reason=str(error)[:300])
        except (aiohttp.ClientError, TimeoutError) as error:
            # The request went out and no (whole) answer came: Twilio may have sent it.
            code = "timeout" if isinstance(error, TimeoutError) else "connection"
            return SendResult(Outcome.UNKNOWN, code=code, reason=f"{type(error).__name__}: {error}"[:300])
        except ValueError as error:  # a 2xx whose body is not JSON: taken, perhaps
            return _unreadable(box.get("response"), f"unreadable answer ({error})")
        if not message.sid:
            return _unreadable(box.get("response"), "an answer without a message SID")
        return SendResult(Outcome.ACCEPTED, provider_id=message.sid)

    def close(self) -> None:
        run_async(self.client.http_client.close())

    def lookup_many(self, items: list[Unsettled]) -> list[Lookup]:
        async def run() -> list[Lookup]:
            slots = asyncio.Semaphore(self.flow.max_in_flight)

            async def one(item: Unsettled) -> Lookup:
                async with slots:
                    return await self._lookup(item)

            return list(await asyncio.gather(*(one(item) for item in items)))

        return run_async(run())

    async def _lookup(self, item: Unsettled) -> Lookup:
        try:
            if item.provider_id:
                try:
                    message = await self.client.messages(item.provider_id).fetch_async()
                except TwilioRestException as error:
                    if error.status == 404:
                        return Lookup()
                    raise
                return Lookup(found=(_found(message),))
            sender = item.sender or self.options["FROM"]  # what it went out as (send_one_async)
            filters = {"to": item.to, "date_sent_after": item.since - CLOCK_SKEW, "limit": 500}
            if not sender.startswith("MG"):
                filters["from_"] = sender
            messages = await self.client.messages.list_async(**filters)
        except TwilioRestException as error:
            return Lookup(error=f"Twilio {error.status} {error.code}: {error.msg}"[:300])
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            return Lookup(error=f"{type(error).__name__}: {error}"[:300])
        since = item.since - CLOCK_SKEW
        matching = [m for m in messages if m.body == item.text and (m.date_created is None or m.date_created >= since)]
        matching.sort(key=lambda m: (m.date_created or since, m.sid))
        return Lookup(found=tuple(_found(m) for m in matching))

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


def _found(message) -> Found:
    return Found(message.sid, FOUND_STATES.get(message.status, RecipientStatus.ACCEPTED))


def _refusal(error: TwilioRestException, response: Response | None) -> SendResult:
    code = str(error.code or error.status)
    reason = error.msg or ""
    if response is not None and not _is_json(response.text):
        # An HTML error page from a proxy: keep its words, not the SDK's generic ones.
        reason = f"{reason}: HTTP {response.status_code}: {response.text[:200]}"
    reason = reason[:300]
    if error.status == 429 or code == "20429":
        return SendResult(Outcome.RETRY, code=code, reason=reason, retry_after=_retry_after(response))
    if error.status >= 500:
        return SendResult(Outcome.RETRY, code=code, reason=reason)
    return SendResult(Outcome.FAILED, code=code, reason=reason)


def _unreadable(response: Response | None, what: str) -> SendResult:
    """A 2xx we cannot read: Twilio may have taken it, so never accepted, never resent."""
    body = f"HTTP {response.status_code}: {response.text[:200]}" if response is not None else "no body"
    return SendResult(Outcome.UNKNOWN, code="answer", reason=f"Twilio sent {what}: {body}"[:300])


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _retry_after(response: Response | None) -> float:
    """Retry-After in seconds or as an HTTP date (RFC 9110 10.2.3); Twilio's default without it."""
    value = (response.headers.get("Retry-After", "") if response is not None else "").strip()
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
