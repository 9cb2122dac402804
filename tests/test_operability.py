"""Health probes and request ids in the logs."""

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.db import connection

from smsoffice.celery import app as celery_app
from smsoffice.observability import JsonFormatter, RequestIdFilter, request_id_var
from tests.workers import ROOT, free_port, wait_until


def test_healthz_answers_without_login_or_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_readyz_checks_the_database_the_broker_and_the_gateway(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"database": "ok", "broker": "ok", "gateway": "ok"}}


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


@pytest.mark.django_db(transaction=True)
def test_metrics_under_gunicorn_add_up_over_its_workers(tmp_path):
    """Two gunicorn workers answer 40 requests; every scrape counts all 40."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsoffice.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [gunicorn, "smsoffice.wsgi", "-c", "python:smsoffice.gunicorn_conf", "-w", "2", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/healthz"), timeout=30)
        for _ in range(40):
            requests.get(f"{base}/healthz", timeout=5).raise_for_status()
        counts = [_healthz_count(requests.get(f"{base}/metrics", timeout=5).text) for _ in range(6)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert min(counts) >= 40, counts


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.ConnectionError:
        return False
    return True


def _healthz_count(body: str) -> float:
    sample = 'django_http_responses_total_by_status_view_method_total{method="GET",status="200",view="healthz"}'
    found = re.search("^" + re.escape(sample) + r" (\S+)$", body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0
