"""gunicorn settings for production (`gunicorn -c python:smsoffice.gunicorn_conf ...`).

Every gunicorn worker writes its metrics to files in PROMETHEUS_MULTIPROC_DIR and
/metrics sums them (smsoffice/metrics.py); without this each scrape would see only
the worker that answered it. The folder is emptied at start-up (an earlier run's files
would add up too) and a dead worker's live gauges are dropped. Celery processes do not
load this file and keep ordinary in-process metrics.
"""

import os
import shutil
import tempfile

# Before prometheus_client is first imported in this server: it picks its storage then.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "smsoffice-prometheus"))

from prometheus_client import multiprocess


def on_starting(server) -> None:
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker) -> None:
    multiprocess.mark_process_dead(worker.pid)
