"""gunicorn settings for production (`gunicorn -c smsoffice/gunicorn_conf.py ...`).

Workers are gevent's (one greenlet per connection), not sync: a sync worker reads a
request's headers itself, so as many clients as workers sending their headers slowly
(slowloris) held every worker and /healthz timed out; gthread only moves the limit to
workers x threads (a thread blocks from a request's first byte to its last header).
We chose this over a buffering proxy (nginx) in docker-compose.yml because the
protection then travels with the image to any orchestrator, and the test suite runs it
(tests/test_operability.py: 40 slow clients, 2 workers, /healthz and /readyz under 1 s).
psycopg, redis-py and IMAPClient wait cooperatively once gevent has patched the
standard library, which gunicorn does in each worker before it loads Django. A request
that computes for long (a large fax PDF) delays the other connections of its worker.

Load this file by its path, not as `python:smsoffice.gunicorn_conf`: that imports the
smsoffice package, hence Django, in the master before gevent patches anything, and
Django's per-thread database connections would then be shared by every greenlet of a
worker ("DatabaseWrapper objects created in a thread can only be used in that same
thread"). For the same reason nothing here imports Django or prometheus_client at the
top; on_starting refuses to run if something did.

Every gunicorn worker writes its metrics to files in PROMETHEUS_MULTIPROC_DIR and
/metrics sums them (smsoffice/metrics.py); without this each scrape would see only
the worker that answered it. The folder is emptied at start-up (an earlier run's files
would add up too) and a dead worker's live gauges are dropped. Celery processes do not
load this file and keep ordinary in-process metrics.
"""

import os
import shutil
import sys
import tempfile

# Before prometheus_client is first imported in this server: it picks its storage then.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "smsoffice-prometheus"))

worker_class = "gevent"
# Open connections a worker keeps (slow ones included).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
# Each worker borrows PostgreSQL connections from a pool of its own (settings: DATABASE_POOL_SIZE)
# for the time of a request: no session opened per request, and workers x this many at most
# (a request in flight beyond that waits for one), whatever the number of clients.
os.environ.setdefault("DATABASE_POOL_SIZE", "10")
# Each worker imports Django itself, after gevent has patched it (see above).
preload_app = False


def on_starting(server) -> None:
    if "django.db" in sys.modules:
        raise RuntimeError(
            "Django was imported before gevent patched the workers: load the gunicorn config by its "
            "path (-c smsoffice/gunicorn_conf.py), not as python:smsoffice.gunicorn_conf."
        )
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess  # in the master, after the workers were forked

    multiprocess.mark_process_dead(worker.pid)
