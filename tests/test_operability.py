"""Health probes and request ids in the logs."""

import contextlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.db import connection

from smsoffice.celery import app as celery_app
from smsoffice.observability import JsonFormatter, RequestIdFilter, request_id_var
from tests.workers import ROOT, free_port, wait_until

# More half-sent requests than gunicorn workers x threads (the probe held 3 sync workers with 6).
SLOW_CLIENTS = 40


def test_healthz_answers_without_login_or_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_readyz_checks_the_database_the_broker_and_the_gateway(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "checks": {"database": "ok", "broker": "ok", "gateway": "ok"},
        "circuits": {"sms/default": "closed", "fax/default": "closed", "email/default": "closed"},
    }


def test_readyz_says_which_part_is_down(client, db, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    celery_app._pool = None
    try:
        response = client.get("/readyz")
    finally:
        celery_app._pool = None
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["gateway"] == "ok"
    assert checks["broker"].startswith("failing:")


def test_readyz_names_internal_hosts_only_to_a_caller_with_the_metrics_token(client, db, monkeypatch, settings, caplog):
    """The probe is public: a connection error's words ("127.0.0.1:1") are for operators."""
    settings.METRICS_TOKEN = "operators-only"
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    celery_app._pool = None
    try:
        public = client.get("/readyz")
        operator = client.get("/readyz", headers={"Authorization": "Bearer operators-only"})
    finally:
        celery_app._pool = None
    assert public.status_code == operator.status_code == 503
    assert public.json()["checks"]["broker"].startswith("failing: ")
    assert "127.0.0.1" not in public.content.decode() and "details in the server log" in public.content.decode()
    assert "127.0.0.1" in operator.json()["checks"]["broker"]
    assert any("readyz: broker failing" in r.getMessage() and "127.0.0.1" in r.getMessage() for r in caplog.records)


def test_readyz_fails_on_a_gateway_without_credentials_and_shows_no_secret(client, db, settings):
    settings.SMS_GATEWAYS = {
        "default": {
            "BACKEND": "messaging.gateways.twilio.TwilioGateway",
            "OPTIONS": {"ACCOUNT_SID": "AC123", "AUTH_TOKEN": "s3cret-token", "FROM": ""},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "TWILIO_FROM" in response.json()["checks"]["gateway"]
    assert "s3cret-token" not in response.content.decode()


def test_every_response_has_a_request_id_and_keeps_a_sane_one_from_the_proxy(client, db):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21").headers["X-Request-ID"] == "lb-7f3a9c21"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nInjected: 1").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_a_log_line_is_one_json_object_with_the_request_id():
    record = logging.LogRecord("smsoffice.sms", logging.WARNING, __file__, 1, "refused %s", ("x",), None)
    token = request_id_var.set("req-12345678")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "req-12345678"
    assert (entry["level"], entry["logger"], entry["message"]) == ("WARNING", "smsoffice.sms", "refused x")


@contextlib.contextmanager
def gunicorn_server(tmp_path: Path, workers: int = 2) -> Iterator[str]:
    """gunicorn as the Dockerfile runs it (its -c config file), on the test database; yields its URL."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsoffice.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [gunicorn, "smsoffice.wsgi", "-c", "smsoffice/gunicorn_conf.py", "-w", str(workers)]
    server = subprocess.Popen(
        [*command, "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/healthz"), timeout=30)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_metrics_under_gunicorn_add_up_over_its_workers(tmp_path):
    """Two gunicorn workers answer 40 requests; every scrape counts all 40."""
    with gunicorn_server(tmp_path) as base:
        for _ in range(40):
            requests.get(f"{base}/healthz", timeout=5).raise_for_status()
        counts = [_healthz_count(requests.get(f"{base}/metrics", timeout=5).text) for _ in range(6)]
    assert min(counts) >= 40, counts


@pytest.mark.django_db(transaction=True)
def test_clients_that_send_their_headers_slowly_do_not_hold_up_the_others(tmp_path):
    """Slowloris: many more half-sent requests than workers (or threads); /healthz and /readyz
    (database and Redis) still answer at once. With sync or gthread workers they waited."""
    with gunicorn_server(tmp_path, workers=2) as base:
        port = int(base.rsplit(":", 1)[1])
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(SLOW_CLIENTS)]
        try:
            for sock in slow:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            for _ in range(4):  # keep dripping: each socket is always "sending"
                time.sleep(0.5)
                for sock in slow:
                    sock.sendall(b"x")
            timings = {}
            for path in ("/healthz", "/readyz"):
                started = time.monotonic()
                try:
                    status = requests.get(base + path, timeout=5).status_code
                except requests.Timeout:
                    status = "timed out"
                timings[path] = (status, round(time.monotonic() - started, 2))
        finally:
            for sock in slow:
                sock.close()
    assert timings["/healthz"][0] == 200 and timings["/healthz"][1] < 1, timings
    assert timings["/readyz"][0] == 200 and timings["/readyz"][1] < 1, timings


@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_do_not_open_a_database_session_per_request(tmp_path):
    """40 requests that read the database (/readyz) through two gunicorn workers: each worker
    keeps its PostgreSQL connections in a pool, so a request does not wait for a new session
    (a fork on the server, the authentication) and PostgreSQL sees a handful, not 40."""
    with gunicorn_server(tmp_path, workers=2) as base:
        before = _sessions_opened()
        with requests.Session() as http:
            for _ in range(40):
                http.get(f"{base}/readyz", timeout=5).raise_for_status()
        # PostgreSQL counts a session when it starts; a backend reports it by the time it ends.
        time.sleep(1.5)
        opened = _sessions_opened() - before
    assert opened <= 6, f"{opened} PostgreSQL sessions opened for 40 requests"


def _sessions_opened() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting
        return False
    return True


def _healthz_count(body: str) -> float:
    sample = 'django_http_responses_total_by_status_view_method_total{method="GET",status="200",view="healthz"}'
    found = re.search("^" + re.escape(sample) + r" (\S+)$", body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0
