"""`make run`: the web server, a Celery worker and Celery beat, in the foreground.

Ctrl-C stops all three; if one of them dies, the others are stopped too, so that a
developer never keeps a half-running system by accident.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

HOST = os.environ.get("RUN_HOST", "127.0.0.1")
PORT = os.environ.get("RUN_PORT", "8000")


def commands() -> dict[str, list[str]]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "smsoffice"]
    return {
        "web": [python, "manage.py", "runserver", f"{HOST}:{PORT}"],
        "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
        "beat": [*celery, "beat", "--loglevel=INFO"],
    }


def _interrupt(signum, frame) -> None:
    # Only the first signal interrupts the loop in main(); stop() then ignores the others.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and `kill` both stop everything, instead of orphaning the children
    # (SIGINT is set explicitly: a shell's background job starts with it ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    # Each child leads its own process group, so that stopping it also stops what it
    # started (runserver's autoreloader child, Celery's pool processes).
    processes = {name: subprocess.Popen(command, start_new_session=True) for name, command in commands().items()}
    print(f"\nSMS Office runs at http://{HOST}:{PORT}/  (Ctrl-C stops web, worker and beat)\n", flush=True)
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} stopped with exit code {process.returncode}; stopping the others.", flush=True)
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping web, worker and beat...", flush=True)
    finally:
        stop(list(processes.values()))
    return 0


def stop(processes: list[subprocess.Popen]) -> None:
    # A second Ctrl-C or SIGTERM while we stop them must not cut this short: make forwards
    # its SIGTERM to us while the same signal reaches us through the process group, and
    # an interrupted stop left runserver, worker and beat running in their own sessions.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in processes:
        # SIGTERM: Celery's warm shutdown (finish the running task), runserver's exit.
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


if __name__ == "__main__":
    sys.exit(main())
