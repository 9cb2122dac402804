"""Flow control for every gateway of every channel: how fast, how many at once, and when
to stop calling. Written once; the outbox engine (messaging/services/outbox.py) runs
every provider call through a gateway's `Flow`.

    RATE            messages a second for the gateway, all workers together (0: no limit),
                    a token bucket of BURST messages kept in Redis (REDIS_URL), or in this
                    process when there is no Redis (`make run`) or Redis does not answer
    MAX_IN_FLIGHT   requests one worker keeps open at once, for gateways that send one
                    item a request (`send_one_async`: Twilio); batch gateways get one call
                    per piece of at most BURST items
    Retry-After     a result with `retry_after` (HTTP 429, Twilio 20429) pauses the whole
                    gateway that long: no worker calls it before then
    circuit breaker BREAKER_FAILURES provider failures in a row (5xx, refused or timed-out
                    connections, unknown answers) open the circuit for BREAKER_COOLDOWN
                    seconds; after it one failure opens it again (half-open), one answer
                    closes it. 0 turns the breaker off.
    MAX_WAIT        seconds a worker waits for a token before it gives the row back

Items the gateway was never called for come back as RETRY with `handed_over=False` and
the wait in `retry_after`: the outbox puts them back without counting an attempt.

Options are read from the gateway's OPTIONS; a gateway class gives its own defaults in
`flow_defaults` (Twilio keeps 100 in flight and trips the breaker after 5 failures; the
locmem, console, email and fax gateways have no limit unless their OPTIONS set one).
"""

import asyncio
import concurrent.futures
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .base import Outcome, SendResult

logger = logging.getLogger("smsoffice.flow")

DEFAULTS = {
    "RATE": 0.0,
    "BURST": 0,
    "MAX_IN_FLIGHT": 1,
    "BREAKER_FAILURES": 0,
    "BREAKER_COOLDOWN": 30.0,
    "MAX_WAIT": 5.0,
}
KEY_PREFIX = "smsoffice:flow:"


@dataclass(frozen=True)
class Gate:
    """What the store answered for one request to pass."""

    blocked: float = 0.0  # seconds until the gateway may be called again (paused or circuit open)
    why: str = ""  # "paused" or "circuit"
    wait: float = 0.0  # seconds to wait for the token (0: go now)
    failures: int = 0  # provider failures in a row so far


@dataclass(frozen=True)
class FlowState:
    """For /readyz and /metrics."""

    channel: str
    alias: str
    circuit_open_for: float
    paused_for: float
    failures: int


# One script for the gate: the pause and the circuit first, then the token bucket; one
# round trip a send. KEYS: bucket, pause, circuit, failures. ARGV: rate, burst, n, max_wait.
# The bucket may be reserved ahead (tokens below 0): the caller sleeps `wait` and sends
# then, so all workers together never pass rate x t + burst in any t seconds. A new
# bucket starts empty: the first requests of cold workers (connections still opening)
# arrive late and bunch with the next ones; starting empty leaves them the burst's room.
GATE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local failures = tonumber(redis.call('GET', KEYS[4]) or '0')
local circuit = tonumber(redis.call('GET', KEYS[3]) or '0')
if circuit > now then return {tostring(circuit - now), 'circuit', '0', failures} end
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > now then return {tostring(pause - now), 'paused', '0', failures} end
local rate, burst, n, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if rate <= 0 then return {'0', '', '0', failures} end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(b[1] or 0), tonumber(b[2] or now)
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate) - n
local wait = 0
if tokens < 0 then wait = -tokens / rate end
if wait > max_wait then return {'0', '', tostring(wait), failures} end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate + max_wait) + 60)
return {'0', '', tostring(wait), failures}
"""
# KEYS: pause. ARGV: seconds. Pause until now + seconds, unless a longer pause is set.
PAUSE_SCRIPT = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], tostring(until_), 'EX', math.ceil(tonumber(ARGV[1])) + 1)
end
return 1
"""
# KEYS: circuit, failures. ARGV: threshold, cooldown. One more failure; opens at the threshold
# and leaves the count one short of it, so that the first failure after the cool-down
# opens it again (half-open).
FAILURE_SCRIPT = """
local failures = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 86400)
if failures >= tonumber(ARGV[1]) then
  local t = redis.call('TIME')
  local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[2])
  redis.call('SET', KEYS[1], tostring(until_), 'EX', math.ceil(tonumber(ARGV[2])) + 1)
  redis.call('SET', KEYS[2], tostring(tonumber(ARGV[1]) - 1), 'EX', 86400)
  return 1
end
return 0
"""


class LocalStore:
    """The same gate, in this process: for `make run` (no Redis) and while Redis is down."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}
        self.until: dict[str, float] = {}  # pause and circuit keys -> time.time() until
        self.failures: dict[str, int] = {}

    def gate(self, keys: list[str], rate: float, burst: float, n: int, max_wait: float) -> Gate:
        bucket, pause, circuit, failures_key = keys
        with self.lock:
            now = time.time()
            failures = self.failures.get(failures_key, 0)
            for key, why in ((circuit, "circuit"), (pause, "paused")):
                if self.until.get(key, 0) > now:
                    return Gate(self.until[key] - now, why, 0.0, failures)
            if rate <= 0:
                return Gate(failures=failures)
            tokens, ts = self.buckets.get(bucket, (0.0, now))  # starts empty, as in Redis
            tokens = min(burst, tokens + max(0.0, now - ts) * rate) - n
            wait = -tokens / rate if tokens < 0 else 0.0
            if wait <= max_wait:
                self.buckets[bucket] = (tokens, now)
            return Gate(wait=wait, failures=failures)

    def pause(self, key: str, seconds: float) -> None:
        with self.lock:
            self.until[key] = max(self.until.get(key, 0), time.time() + seconds)

    def failure(self, circuit: str, failures_key: str, threshold: int, cooldown: float) -> bool:
        with self.lock:
            self.failures[failures_key] = self.failures.get(failures_key, 0) + 1
            if self.failures[failures_key] >= threshold:
                self.until[circuit] = time.time() + cooldown
                self.failures[failures_key] = threshold - 1
                return True
            return False

    def success(self, failures_key: str) -> None:
        with self.lock:
            self.failures.pop(failures_key, None)

    def state(self, pause: str, circuit: str, failures_key: str) -> tuple[float, float, int]:
        now = time.time()
        with self.lock:
            return (
                max(0.0, self.until.get(circuit, 0) - now),
                max(0.0, self.until.get(pause, 0) - now),
                self.failures.get(failures_key, 0),
            )

    def reset(self) -> None:
        with self.lock:
            self.buckets.clear()
            self.until.clear()
            self.failures.clear()


class RedisStore:
    """The gate shared by every worker, in Redis; falls back to `local` when Redis fails."""

    def __init__(self, url: str, local: LocalStore) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.local = local
        self.errors = (redis.RedisError, OSError)
        self.gate_script = self.client.register_script(GATE_SCRIPT)
        self.pause_script = self.client.register_script(PAUSE_SCRIPT)
        self.failure_script = self.client.register_script(FAILURE_SCRIPT)
        self.warned_at = 0.0

    def _down(self) -> None:
        # Fail open to the process's own gate, like the API throttle: a Redis outage must
        # not stop the sending; log once a minute.
        if time.monotonic() - self.warned_at > 60:
            self.warned_at = time.monotonic()
            logger.warning("flow control: Redis does not answer; each process limits itself", exc_info=True)

    def gate(self, keys: list[str], rate: float, burst: float, n: int, max_wait: float) -> Gate:
        try:
            blocked, why, wait, failures = self.gate_script(keys=keys, args=[rate, burst, n, max_wait])
        except self.errors:
            self._down()
            return self.local.gate(keys, rate, burst, n, max_wait)
        why = why.decode() if isinstance(why, bytes) else why
        return Gate(float(blocked), why, float(wait), int(failures))

    def pause(self, key: str, seconds: float) -> None:
        try:
            self.pause_script(keys=[key], args=[seconds])
        except self.errors:
            self._down()
            self.local.pause(key, seconds)

    def failure(self, circuit: str, failures_key: str, threshold: int, cooldown: float) -> bool:
        try:
            return bool(self.failure_script(keys=[circuit, failures_key], args=[threshold, cooldown]))
        except self.errors:
            self._down()
            return self.local.failure(circuit, failures_key, threshold, cooldown)

    def success(self, failures_key: str) -> None:
        try:
            self.client.unlink(failures_key)
        except self.errors:
            self._down()
            self.local.success(failures_key)

    def state(self, pause: str, circuit: str, failures_key: str) -> tuple[float, float, int]:
        try:
            circuit_until, pause_until, failures = self.client.mget([circuit, pause, failures_key])
        except self.errors:
            self._down()
            return self.local.state(pause, circuit, failures_key)
        now = time.time()
        return (
            max(0.0, float(circuit_until or 0) - now),
            max(0.0, float(pause_until or 0) - now),
            int(failures or 0),
        )

    def reset(self) -> None:
        self.local.reset()
        try:
            keys = list(self.client.scan_iter(match=KEY_PREFIX + "*", count=1000))
            if keys:
                self.client.unlink(*keys)
        except self.errors:
            self._down()


@cache
def flow_store() -> LocalStore | RedisStore:
    """Redis when REDIS_URL is set, else this process's own (built once a process)."""
    local = LocalStore()
    return RedisStore(settings.REDIS_URL, local) if settings.REDIS_URL else local


@receiver(setting_changed)
def _forget_store(*, setting: str, **kwargs) -> None:
    if setting == "REDIS_URL":
        flow_store.cache_clear()


@dataclass
class Flow:
    """A gateway's flow control; built by the registry from its OPTIONS."""

    channel: str
    alias: str
    rate: float = 0.0
    burst: int = 0
    max_in_flight: int = 1
    breaker_failures: int = 0
    breaker_cooldown: float = 30.0
    max_wait: float = 5.0
    keys: list[str] = field(default_factory=list)

    @classmethod
    def from_options(cls, channel: str, alias: str, options: dict, defaults: dict) -> "Flow":
        merged = {**DEFAULTS, **defaults, **{k: v for k, v in options.items() if k in DEFAULTS}}
        rate = float(merged["RATE"])
        # By default a tenth of a second's worth: a provider that counts per second sees at
        # most RATE + BURST in any second.
        burst = int(merged["BURST"]) or max(1, math.ceil(rate / 10))
        return cls(
            channel=channel,
            alias=alias,
            rate=rate,
            burst=burst,
            max_in_flight=max(1, int(merged["MAX_IN_FLIGHT"])),
            breaker_failures=int(merged["BREAKER_FAILURES"]),
            breaker_cooldown=float(merged["BREAKER_COOLDOWN"]),
            max_wait=float(merged["MAX_WAIT"]),
            keys=[f"{KEY_PREFIX}{channel}:{alias}:{part}" for part in ("bucket", "pause", "circuit", "failures")],
        )

    def gate(self, n: int = 1) -> Gate:
        """May `n` items go: the pause and the circuit, then `n` tokens (none without a RATE)."""
        return flow_store().gate(self.keys, self.rate, self.burst, n, self.max_wait)

    def held_back(self, gate: Gate) -> SendResult:
        """The result of an item the gateway was not called for."""
        if gate.why == "circuit":
            code = "circuit"
            reason = _("Gateway %(alias)s is not called for %(seconds)d s: it failed %(count)d times in a row.") % {
                "alias": self.alias,
                "seconds": math.ceil(gate.blocked),
                "count": self.breaker_failures,
            }
        elif gate.why == "paused":
            code = "paused"
            reason = _("Gateway %(alias)s asked to wait %(seconds)d s (Retry-After).") % {
                "alias": self.alias,
                "seconds": math.ceil(gate.blocked),
            }
        else:
            code = "rate"
            reason = _("Gateway %(alias)s is at its rate of %(rate)s messages a second.") % {
                "alias": self.alias,
                "rate": f"{self.rate:g}",
            }
        return SendResult(
            Outcome.RETRY, code=code, reason=reason, retry_after=max(gate.blocked, gate.wait), handed_over=False
        )

    def observe(self, results: list[SendResult], failures_before: int) -> Gate | None:
        """What the provider's answers say about it: pause on Retry-After, count failures
        in a row for the breaker, a real answer resets the count. Returns the Gate that
        now holds the gateway back (paused, or circuit opened), if any."""
        stop = None
        pause = max((r.retry_after for r in results if r.handed_over and r.outcome == Outcome.RETRY), default=0)
        if pause > 0:
            flow_store().pause(self.keys[1], pause)
            stop = Gate(blocked=pause, why="paused")
        if not self.breaker_failures:
            return stop
        answered = False
        for result in results:
            if not result.handed_over or result.retry_after:
                continue
            if result.outcome in (Outcome.ACCEPTED, Outcome.FAILED):
                answered = True
            elif flow_store().failure(self.keys[2], self.keys[3], self.breaker_failures, self.breaker_cooldown):
                logger.warning(
                    "%s gateway %s: circuit open for %ss after %s failures in a row (%s)",
                    self.channel,
                    self.alias,
                    self.breaker_cooldown,
                    self.breaker_failures,
                    result.reason[:200],
                )
                stop = Gate(blocked=self.breaker_cooldown, why="circuit")
        # Only a worker that saw failures counted pays for the reset.
        if answered and failures_before:
            flow_store().success(self.keys[3])
        return stop

    def state(self) -> FlowState:
        circuit, paused, failures = flow_store().state(self.keys[1], self.keys[2], self.keys[3])
        return FlowState(self.channel, self.alias, circuit, paused, failures)

    # The engine's two ways of calling a gateway.

    def send_batches(self, send_many: Callable[[list], list[SendResult]], items: list) -> list[SendResult]:
        """A batch gateway: pieces of at most BURST items (all of them at once without a
        RATE), each after its tokens; what cannot go now comes back held."""
        piece = self.burst if self.rate > 0 else max(1, len(items))
        results: list[SendResult] = []
        for start in range(0, len(items), piece):
            part = items[start : start + piece]
            gate = self.gate(len(part))
            if gate.blocked or gate.wait > self.max_wait:
                results += [self.held_back(gate)] * (len(items) - start)
                break
            if gate.wait:
                time.sleep(gate.wait)
            answered = send_many(part)
            results += answered
            # A chunk-level error (every result alike) is one failure of the provider, not many.
            stop = self.observe(answered if len(set(answered)) > 1 else answered[:1], gate.failures)
            if stop is not None:
                results += [self.held_back(stop)] * (len(items) - len(results))
                break
        return results

    def send_each(self, send_one: Callable[[Any], Coroutine[Any, Any, SendResult]], items: list) -> list[SendResult]:
        """`send_each_started`, waited for."""
        return self.send_each_started(send_one, items).result()

    def send_each_started(
        self, send_one: Callable[[Any], Coroutine[Any, Any, SendResult]], items: list
    ) -> concurrent.futures.Future:
        """A gateway that takes one item a request: the requests start now on this
        process's event loop and the future gives their results in the items' order.

        At most MAX_IN_FLIGHT requests are open at once in this process, however many
        calls run together (the outbox engine starts a chunk's sends while it records
        the chunk before: outbox.dispatch), each at its token's time. Tokens are reserved
        a lease at a time (BURST of them, or MAX_IN_FLIGHT without a RATE), each given
        its own moment within the lease, so that Redis is asked once a lease and not
        once a message; what this call sees itself (a Retry-After, the circuit opening)
        holds back the rest of its items at once.
        """

        async def run() -> list[SendResult]:
            loop = asyncio.get_running_loop()
            slots = self._slots()
            lease: deque[float] = deque()  # loop times at which reserved tokens may be used
            lock = asyncio.Lock()
            state: dict[str, Any] = {"stop": None, "failures": 0, "pending": len(items)}

            async def token() -> float | None:
                async with lock:
                    if state["stop"] is not None:
                        return None
                    if not lease:
                        size = self.burst if self.rate > 0 else self.max_in_flight
                        n = max(1, min(size, state["pending"]))
                        gate = self.gate(n)
                        state["failures"] = gate.failures
                        if gate.blocked or gate.wait > self.max_wait:
                            state["stop"] = gate
                            return None
                        now = loop.time()
                        # The i-th of n tokens is earned (n - 1 - i) / rate before the last one.
                        lease.extend(
                            now + (max(0.0, gate.wait - (n - 1 - i) / self.rate) if self.rate > 0 else 0.0)
                            for i in range(n)
                        )
                    state["pending"] -= 1
                    return lease.popleft()

            async def one(item) -> SendResult:
                async with slots:
                    # The token is taken once a slot is free, so that no reserved send waits
                    # behind others and arrives in a bunch.
                    at = await token()
                    if at is not None and at > loop.time():
                        await asyncio.sleep(at - loop.time())
                    if at is None or state["stop"] is not None:
                        return self.held_back(state["stop"])
                    try:
                        result = await send_one(item)
                    except Exception as error:  # whatever broke, the request may have gone out
                        logger.exception("%s gateway %s: unexpected error while sending", self.channel, self.alias)
                        reason = f"{type(error).__name__}: {error}"[:300]
                        result = SendResult(Outcome.UNKNOWN, code="error", reason=reason)
                    stop = self.observe([result], state["failures"])
                    if stop is not None and state["stop"] is None:
                        state["stop"] = stop
                    return result

            return list(await asyncio.gather(*(one(item) for item in items)))

        return start_async(run())

    def _slots(self) -> asyncio.Semaphore:
        """The requests this process may open at once to the gateway: one semaphore for
        every call, made on (and only used from) the process's event loop."""
        key = (os.getpid(), self.channel, self.alias, self.max_in_flight)
        if key not in _slots:
            _slots[key] = asyncio.Semaphore(self.max_in_flight)
        return _slots[key]


_loop: tuple[int, asyncio.AbstractEventLoop] | None = None
_loop_lock = threading.Lock()
_slots: dict[tuple, asyncio.Semaphore] = {}  # (pid, channel, alias, MAX_IN_FLIGHT) -> open requests


def start_async(coroutine: Coroutine) -> concurrent.futures.Future:
    """Start `coroutine` on this process's event loop (a daemon thread, started on first
    use and again after a fork), so that async clients keep their connections between
    chunks; the caller goes on, and waits for the future when it needs the result."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="gateway-io", daemon=True).start()
            _loop = (os.getpid(), loop)
        loop = _loop[1]
    return asyncio.run_coroutine_threadsafe(coroutine, loop)


def run_async(coroutine: Coroutine):
    """Run `coroutine` on this process's event loop and wait for its result."""
    return start_async(coroutine).result()


def flows_state() -> list[FlowState]:
    """Every configured gateway's circuit and pause, for /readyz and /metrics."""
    from . import SETTINGS, get_gateway

    return [
        get_gateway(alias, channel=channel).flow.state()
        for channel, setting in SETTINGS.items()
        for alias in getattr(settings, setting)
    ]
