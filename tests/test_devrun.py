"""`make run`: web, worker and beat start together and stop together.

Started through make, as a developer does, and stopped by SIGTERM to make's process group
(what an IDE's stop button or `timeout make run` sends): make forwards SIGTERM to its
child too, so devrun gets the signal twice while it is stopping the others.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.workers import ROOT, free_port, wait_until


def descendants(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in map(int, children):
            found |= {child} | descendants(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from Linux's /proc")
def test_sigterm_through_make_stops_runserver_worker_and_beat(tmp_path):
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"run:\n\t{sys.executable} -m smsoffice.devrun\n")
    port = free_port()
    env = {
        **os.environ,
        "RUN_PORT": str(port),
        "DJANGO_SETTINGS_MODULE": "smsoffice.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
    }
    make = subprocess.Popen(
        ["make", "-f", str(makefile), "run"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    processes: set[int] = set()
    try:
        wait_until(lambda: listening(port), timeout=60)
        # web (runserver and its autoreloaded child), worker (and its pool), beat
        wait_until(lambda: len(descendants(make.pid)) >= 6, timeout=60)
        processes = descendants(make.pid)
        os.killpg(make.pid, signal.SIGTERM)
        time.sleep(0.3)
        os.killpg(make.pid, signal.SIGTERM)  # a second stop while the first is being handled
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(alive(pid) for pid in processes):
            time.sleep(0.2)
        left = sorted(pid for pid in processes if alive(pid))
        assert left == [], [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:100] for pid in left]
    finally:
        for pid in processes | descendants(make.pid) | {make.pid}:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
