"""The platform under the features: the Celery broker, production settings, CI's services."""

import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from smsoffice.celery import app as celery_app
from smsoffice.tasks import ping

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def celery_worker_process():
    """A real `celery worker` process consuming a queue of its own on the configured broker.

    Tests run tasks in-process by default (CELERY_TASK_ALWAYS_EAGER); here they go
    through the broker.
    """
    celery_app.conf.task_always_eager = False
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smsoffice.settings.test"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smsoffice", "worker", "--pool=solo", "-Q", queue, "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield queue
    celery_app.conf.task_always_eager = True
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


def test_a_task_goes_through_the_broker_to_a_worker_and_back(celery_worker_process):
    result = ping.apply_async(queue=celery_worker_process)
    assert result.get(timeout=60) == "pong"


def test_production_settings_pass_the_deployment_checklist():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "smsoffice.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "sms.example.com",
        "MAILBOX_PASSWORD_KEYS": "dGVzdC1vbmx5LW1haWxib3gta2V5LTMyLWJ5dGVzISE=",
        "METRICS_TOKEN": secrets.token_urlsafe(32),
    }
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr + check.stdout
    assert "no issues" in check.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update({"DJANGO_SETTINGS_MODULE": "smsoffice.settings.production", "DJANGO_ALLOWED_HOSTS": "x.example"})
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert check.returncode != 0
    assert "DJANGO_SECRET_KEY" in check.stderr


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI's own guarantee; a developer may use SQLite")
def test_ci_runs_on_postgresql_and_redis():
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")


def test_the_dockerfile_collectstatic_step_has_every_variable_production_requires():
    # docker build runs it with only the variables the RUN line sets (no engine here to
    # run the build itself); production settings refuse to load without their secrets.
    dockerfile = (ROOT / "Dockerfile").read_text()
    step = re.search(r"RUN ((?:[A-Z_]+=\S+\s+(?:\\\s*)?)+)python manage.py collectstatic", dockerfile)
    assert step, "the Dockerfile has no collectstatic step"
    variables = dict(pair.split("=", 1) for pair in re.findall(r"[A-Z_]+=\S+", step.group(1)))
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "smsoffice.settings.production", **variables}
    run = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-500:]
