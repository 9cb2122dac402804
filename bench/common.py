"""What the benchmarks share: Django on the test settings, a throw-away database, page timing.

Import it first (after setting any environment variable the run needs): it sets up Django.
"""

import contextlib
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsoffice.settings.test")

import django

django.setup()

from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment


@contextlib.contextmanager
def throwaway_database(*, postgres_only: bool = False):
    """A fresh test database for the run, dropped at the end whatever happens."""
    if postgres_only and connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def median_ms(client: Client, url: str, params: dict | None = None, *, repeat: int = 15) -> float:
    """Median milliseconds for Django's test client to answer a GET (server time, no network)."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params or {})
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings)


def start_gunicorn(env: dict, log, *, workers: int, port: int) -> subprocess.Popen:
    """gunicorn as in production (its config file: gevent workers, metrics summed over them),
    on loopback; returns once /healthz answers, or exits."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "smsoffice.wsgi",
            "--config=smsoffice/gunicorn_conf.py",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("gunicorn did not start")
