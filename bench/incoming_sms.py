"""10,000 incoming SMS through the Twilio webhook (signed with the SDK's RequestValidator),
served by gunicorn as in production, sent by concurrent clients as a provider does.

Seeds a throw-away PostgreSQL database with 10,000 sent SMS (100 users x the same 100
numbers), starts a Redis of its own and gunicorn on the production settings
(smsoffice/gunicorn_conf.py: gevent workers, pooled database connections; the Twilio
gateway from the environment, as an installation configures it) and posts, over HTTP
with INCOMING_CONCURRENCY connections at once, in one run:
- the baseline: 10,000 bare webhook requests (same server, middleware, gateway lookup and
  signature check; bench/incoming_urls.py) that store nothing;
- a second baseline: the same requests, each SMS stored (one INSERT, committed), not routed;
- the real thing: 10,000 signed incoming SMS through our webhook, each stored and matched to
  the SMS it answers; target within 2x of the bare webhook.
The three are interleaved in blocks of 1,000, so that a neighbour's load on the shared
machine falls on all three alike. (Users are told later, by the sweep: not in the request.)

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice_bench .venv/bin/python bench/incoming_sms.py
Options from the environment: INCOMING_CONCURRENCY (20), GUNICORN_WORKERS (3, the Dockerfile's),
INCOMING_COUNT (10000); DATABASE_POOL_SIZE=0 serves without the workers' connection pool
(a PostgreSQL session opened per request, as before it: storing was then 3x the bare request).
"""

import asyncio
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from common import ROOT, start_gunicorn, throwaway_database
from django.db import connection
from twilio.request_validator import RequestValidator

from credits.models import Plan
from messaging.models import IncomingSMS, Recipient, RecipientStatus
from messaging.services.accepting import message_send
from tests.factories import UserFactory
from tests.workers import RedisServer

COUNT = int(os.environ.get("INCOMING_COUNT", 10_000))
USERS = 100
CONCURRENCY = int(os.environ.get("INCOMING_CONCURRENCY", 20))
WORKERS = int(os.environ.get("GUNICORN_WORKERS", 3))
BLOCK = 1_000
PORT = 8766
TOKEN = secrets.token_hex(16)  # the Twilio auth token the server checks signatures with
OUR_NUMBER = "+3228880000"
PATHS = {
    "bare": "/bench/bare/default/",
    "store": "/bench/store/default/",
    "incoming": "/webhooks/sms/default/incoming/",
}


def seed() -> list[str]:
    Plan.objects.create(name="Bench", monthly_allowance=1_000, is_default=True)
    numbers = [f"+3247{n:07d}" for n in range(COUNT // USERS)]
    for u in range(USERS):
        user = UserFactory(email=f"user{u}@example.com")
        # The same numbers get an SMS from every user: each reply must find the last sender.
        message_send(user=user, body=f"Hello from {u}", to=numbers)
    # Sent through the test settings' locmem gateway (tasks run eagerly here); the replies
    # come through Twilio's webhook, to the server started below.
    Recipient.objects.update(status=RecipientStatus.ACCEPTED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return numbers


def server_environment(folder: str, redis_url: str) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
        "DJANGO_SETTINGS_MODULE": "incoming_settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "MAILBOX_PASSWORD_KEYS": "dGVzdC1vbmx5LW1haWxib3gta2V5LTMyLWJ5dGVzISE=",
        "METRICS_TOKEN": secrets.token_urlsafe(),
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,  # cache and broker: a Redis of the run's own
        "PROMETHEUS_MULTIPROC_DIR": str(Path(folder) / "metrics"),
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "3" * 32,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM": OUR_NUMBER,
        "LOG_LEVEL": "ERROR",
    }


def signed(kind: str, n: int, number: str) -> tuple[str, dict, str]:
    """One webhook request as Twilio sends it: the form and its X-Twilio-Signature over the URL."""
    url = f"http://127.0.0.1:{PORT}{PATHS[kind]}"
    params = {"MessageSid": f"SM{n:032d}", "From": number, "To": OUR_NUMBER, "Body": f"Reply {n} 👍"}
    return url, params, RequestValidator(TOKEN).compute_signature(url, params)


async def post_block(session: aiohttp.ClientSession, requests: list[tuple[str, dict, str]]) -> tuple[float, list]:
    """Post these requests CONCURRENCY at a time; the block's wall time and each request's latency."""
    queue = list(reversed(requests))
    latencies: list[float] = []

    async def sender() -> None:
        while queue:
            url, params, signature = queue.pop()
            started = time.perf_counter()
            async with session.post(url, data=params, headers={"X-Twilio-Signature": signature}) as response:
                body = await response.read()
                assert response.status == 200, (response.status, body[:300])
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, latencies


async def measure(numbers: list[str]) -> dict[str, tuple[float, list]]:
    requests = {kind: [signed(kind, n, numbers[n % len(numbers)]) for n in range(COUNT)] for kind in PATHS}
    totals: dict[str, tuple[float, list]] = {kind: (0.0, []) for kind in PATHS}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)  # kept alive, as a provider's HTTP client does
    async with aiohttp.ClientSession(connector=connector) as session:
        for start in range(0, COUNT, BLOCK):
            for kind in PATHS:
                seconds, latencies = await post_block(session, requests[kind][start : start + BLOCK])
                totals[kind] = (totals[kind][0] + seconds, totals[kind][1] + latencies)
    return totals


def p95_ms(latencies: list) -> float:
    return statistics.quantiles(latencies, n=20)[-1] * 1000


def report(totals: dict[str, tuple[float, list]]) -> None:
    bare, store, routed = (totals[kind][0] for kind in PATHS)
    lines = {
        "bare": "bare signed webhook requests (nothing stored)",
        "store": "signed SMS stored (one INSERT each, committed), not routed",
        "incoming": f"signed SMS stored and routed among {COUNT:,} sent (our webhook)",
    }
    for kind, what in lines.items():
        seconds, latencies = totals[kind]
        print(f"{kind:>8}: {COUNT:,} {what}: {seconds:.1f} s, {COUNT / seconds:,.0f}/s, p95 {p95_ms(latencies):.1f} ms")
    print(f"incoming: {routed / bare:.2f}x the bare webhook (target <= 2x), {routed / store:.2f}x storing alone")
    if routed > 2 * bare:
        print("over the target: see docs/architecture.md (Replies and consent) for where the time goes")


def main() -> None:
    load = os.getloadavg()
    print(
        f"{os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the start; "
        f"gunicorn {WORKERS} gevent workers (production settings), {CONCURRENCY} concurrent senders, "
        "client and PostgreSQL on the same machine"
    )
    with throwaway_database(postgres_only=True), tempfile.TemporaryDirectory() as folder:
        numbers = seed()
        connection.close()  # gunicorn's workers need the connections
        log_path = Path(folder) / "gunicorn.log"
        redis = RedisServer()
        redis.start()
        with log_path.open("w") as log:
            server = start_gunicorn(server_environment(folder, redis.url), log, workers=WORKERS, port=PORT)
            try:
                totals = asyncio.run(measure(numbers))
            finally:
                server.terminate()
                server.wait(timeout=30)
                redis.stop()
        stored = IncomingSMS.objects.filter(gateway="default").count()
        matched = IncomingSMS.objects.filter(gateway="default", user__isnull=False).count()
        assert stored == matched == COUNT, (stored, matched, log_path.read_text()[-2000:])
        report(totals)
        errors = [line for line in log_path.read_text().splitlines() if "ERROR" in line]
        print(f"server log: {len(errors)} errors" + "".join(f"\n  {line[:300]}" for line in errors[:5]))
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end")


if __name__ == "__main__":
    main()
