"""Load: 50 office users (locust, with think time) against gunicorn on PostgreSQL.

Seeds a throw-away PostgreSQL database: 50 users, 5 of them with 10,000 contacts and
200,000 ledger rows each (1,000,000 in all), the others with 100 contacts; every user
has 600 SMS in their history and one 100-recipient message. Starts gunicorn on the
production settings (HTTP: no TLS on loopback; Redis for cache and broker, no worker:
sends queue up) and runs locust headless. Prints p50/p95/p99 per page, the failures,
and a baseline measured under the same load: /healthz, which touches no database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice_bench .venv/bin/python bench/load_test.py
Options from the environment: LOAD_USERS (50), LOAD_SECONDS (60), GUNICORN_WORKERS (3),
LOAD_REDIS_URL (redis://127.0.0.1:6379/9, flushed at the end).

LOAD_BASELINE=<git ref> first runs that commit's own bench/load_test.py (from `git archive`,
same Python, same database server) and prints its percentiles beside this run's: a page
"keeps its speed" when its p95 moved no more than the database-free /healthz did.
"""

import csv
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, start_gunicorn, throwaway_database
from contacts_search import fill
from credit_holds import fill_ledger
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from sms_pages import history, message

from accounts.models import User
from accounts.services import address_books_ensure, api_token_regenerate
from credits.models import Plan
from credits.services import account_for, credits_grant

USERS = int(os.environ.get("LOAD_USERS", 50))
SECONDS = int(os.environ.get("LOAD_SECONDS", 60))
WORKERS = int(os.environ.get("GUNICORN_WORKERS", 3))
HEAVY = 5
PORT = 8765
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/9")
# Production refuses to start without it; /metrics answers only with it.
METRICS_TOKEN = secrets.token_urlsafe()
TARGETS_MS = {"send API (100 recipients)": 250}
PAGE_TARGET_MS = 150
BASELINE = os.environ.get("LOAD_BASELINE", "")


def seed() -> list[dict]:
    Plan.objects.create(name="Standard", monthly_allowance=50, is_default=True)
    identities = []
    for n in range(USERS):
        heavy = n < HEAVY
        user = User.objects.create_user(
            username=f"load{n:02d}", password=secrets.token_urlsafe(), full_name=f"User {n}"
        )
        account = account_for(user=user)
        credits_grant(account=account, amount=1_000_000, reason="load test", actor=None)
        fill(address_books_ensure(user=user)[0], 10_000 if heavy else 100)
        if heavy:
            fill_ledger(account, 200_000)
        history(user, 200)
        big = message(user, 100)
        identities.append(
            {
                "sessionid": session_for(user),
                "token": api_token_regenerate(user=user),
                "message_id": big.pk,
                "heavy": heavy,
            }
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return identities


def session_for(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def server_environment() -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsoffice.settings.production",
        # The sessions were signed in this process: the server must know the same key.
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "MAILBOX_PASSWORD_KEYS": "dGVzdC1vbmx5LW1haWxib3gta2V5LTMyLWJ5dGVzISE=",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": REDIS_URL,
        "PROMETHEUS_MULTIPROC_DIR": str(Path(tempfile.gettempdir()) / "smsoffice-load-metrics"),
        "SMS_GATEWAY": "console",
        # The limits a real office would meet are far below what 50 users hammering need.
        "API_RATE_LIMIT": "1000000/min",
        "SMS_MAX_PER_DAY": "100000000",
        "LOG_LEVEL": "ERROR",
        "METRICS_TOKEN": METRICS_TOKEN,
    }


def start_server(env: dict, log) -> subprocess.Popen:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return start_gunicorn(env, log, workers=WORKERS, port=PORT)


def run_locust(identities_file: str, csv_prefix: str) -> None:
    subprocess.run(
        [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            f"--users={USERS}",
            "--spawn-rate=10",
            f"--run-time={SECONDS}s",
            f"--host=http://127.0.0.1:{PORT}",
            f"--csv={csv_prefix}",
            "--only-summary",
            "--loglevel=WARNING",
        ],
        env={**os.environ, "LOAD_IDENTITIES": identities_file},
        check=False,  # locust exits 1 when a request failed: the table below says which
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # its own summary; ours follows
    )


def requests_counted_by_metrics() -> float:
    """All requests django-prometheus counted, summed over the gunicorn workers."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own http:// URL
        body = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("django_http_requests_total_by_method_total{")
    )


def machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, Python {platform.python_version()}"


def report(csv_prefix: str, baseline: dict[str, dict[str, float]]) -> bool:
    with open(f"{csv_prefix}_stats.csv") as stats:
        rows = list(csv.DictReader(stats))
    before = f" {'p50 base':>9} {'p95 base':>9} {'p95 x':>6}" if baseline else ""
    print(f"{'request':38} {'count':>6} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6}{before} {'target p95':>11}")
    met = True
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        target = TARGETS_MS.get(row["Name"], None if row["Name"].startswith("baseline") else PAGE_TARGET_MS)
        p95, failures = float(row["95%"]), int(row["Failure Count"])
        ok = failures == 0 and (target is None or p95 <= target)
        met &= ok
        base = baseline.get(row["Name"])
        compared = ""
        if baseline:
            compared = (
                f" {base['p50']:>9.0f} {base['p95']:>9.0f} {p95 / base['p95']:>6.2f}"
                if base
                else f" {'-':>9} {'-':>9} {'':>6}"
            )
        print(
            f"{row['Name']:38} {row['Request Count']:>6} {failures:>5} {row['50%']:>6} {row['95%']:>6} "
            f"{row['99%']:>6}{compared} {(str(target) + ' ms') if target else '-':>11} {'' if ok else '  MISSED'}"
        )
    return met


# A row of the table report() prints (any version of it): name, count, failures, p50, p95, p99.
_ROW = re.compile(r"^(?P<name>\S.*?)\s+(?P<count>\d+)\s+(?P<fail>\d+)\s+(?P<p50>[\d.]+)\s+(?P<p95>[\d.]+)\s+[\d.]+\s")


def measure_baseline(ref: str) -> dict[str, dict[str, float]]:
    """Run `ref`'s own load test (its code, its seed) and read the percentiles it printed."""
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        run = subprocess.run(
            [sys.executable, "bench/load_test.py"],
            cwd=tree,
            env={**os.environ, "LOAD_BASELINE": ""},
            capture_output=True,
            text=True,
            check=False,
        )
    rows = {
        m["name"]: {"p50": float(m["p50"]), "p95": float(m["p95"])}
        for m in map(_ROW.match, run.stdout.splitlines())
        if m
    }
    if not rows:
        sys.exit(f"The baseline {ref} printed no table:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return rows


def main() -> None:
    print(f"Machine: {machine()}; gunicorn {WORKERS} gevent workers, locust and PostgreSQL on the same machine")
    baseline = {}
    if BASELINE:
        started = time.perf_counter()
        baseline = measure_baseline(BASELINE)
        print(f"Baseline: {BASELINE} measured first, by its own load test ({time.perf_counter() - started:.0f} s)")
    with throwaway_database(postgres_only=True), tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        identities = seed()
        print(
            f"Seeded {USERS} users, {HEAVY * 10_000 + (USERS - HEAVY) * 100:,} contacts, "
            f"{HEAVY * 200_000:,} ledger rows in {time.perf_counter() - started:.0f} s"
        )
        identities_file = Path(tmp) / "identities.json"
        identities_file.write_text(json.dumps(identities))
        connection.close()  # gunicorn's workers need the connections
        env = server_environment()
        server_log = Path(tmp) / "gunicorn.log"
        server = start_server(env, server_log.open("w"))
        try:
            run_locust(str(identities_file), str(Path(tmp) / "load"))
            counted = requests_counted_by_metrics()
        finally:
            server.terminate()
            server.wait(timeout=30)
            subprocess.run(
                ["redis-cli", "-n", REDIS_URL.rsplit("/", 1)[1], "FLUSHDB"], check=False, capture_output=True
            )
        print(f"{USERS} users for {SECONDS} s, 0.5-1.5 s think time (milliseconds):")
        met = report(str(Path(tmp) / "load"), baseline)
        print(
            f"/metrics counted {counted:,.0f} requests over the {WORKERS} gunicorn workers (the table's, plus scrapes)"
        )
        errors = [line for line in server_log.read_text().splitlines() if '"level": "ERROR"' in line]
        print(f"Server log: {len(errors)} errors" + "".join(f"\n  {line[:300]}" for line in errors[:5]))
        met &= not errors
        print("All targets met, no errors." if met else "Some targets missed or requests failed (see above).")


if __name__ == "__main__":
    main()
