"""Real Celery workers for end-to-end tests: a redis-server of the test's own, worker
processes on the test database, and this process publishing to them for real."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

from smsoffice.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
TWILIO_CREDENTIALS = {
    "TWILIO_ACCOUNT_SID": "AC" + "2" * 32,
    "TWILIO_AUTH_TOKEN": "e2e-token",
    "TWILIO_FROM": "+3228880000",
    "TWILIO_TIMEOUT": "2",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


def use_broker(url: str, queue: str) -> None:
    """Send this process's tasks through `url` to `queue`, for real (not eagerly)."""
    celery_app.conf.broker_url = url
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_connection_max_retries = 1
    celery_app.conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
    # Drop pooled connections to the previous broker (what Celery itself does after a fork).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def worker_environment(**extra_env: str):
    """Yields {"redis", "queue", "start_worker", "workers"}; workers and Redis are stopped at the end."""
    redis, queue = RedisServer(), f"e2e-{uuid.uuid4().hex[:8]}"
    redis.start()
    keys = (
        "broker_url",
        "task_default_queue",
        "task_always_eager",
        "broker_connection_max_retries",
        "task_publish_retry_policy",
    )
    saved = {key: celery_app.conf[key] for key in keys}
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsoffice.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": redis.url,
        "CELERY_RESULT_BACKEND": redis.url,
        # Tasks a worker enqueues itself (a large send's chunks) go through the broker, not
        # run inline in that worker, and stay on this test's queue.
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **extra_env,
    }
    workers: list[subprocess.Popen] = []

    def start_worker(log: Path | None = None) -> subprocess.Popen:
        """A solo worker on this test's queue; its log lines (INFO and up) go to `log` if given."""
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "smsoffice",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--loglevel=INFO" if log else "--loglevel=WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w") if log else subprocess.DEVNULL,
        )
        workers.append(worker)
        return worker

    use_broker(redis.url, queue)
    try:
        yield {"redis": redis, "queue": queue, "start_worker": start_worker, "workers": workers}
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        redis.stop()
        for key, value in saved.items():
            celery_app.conf[key] = value
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


def wait_until(condition, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")
