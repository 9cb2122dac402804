"""Request ids and structured logs.

Every web request gets an id (the client's `X-Request-ID` when it is a sane one,
else a new one), sent back in the response header and put on every log line the
request writes. Tasks published while handling it carry the id in a message header,
so the worker's log lines for that send (dispatch, gateway results) show the same id.
"""

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable

from celery import signals
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's or client's id is kept only if it cannot break a log line.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_new(proposed: str | None = None) -> str:
    if proposed and _SANE_ID.fullmatch(proposed):
        return proposed
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_new(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "-") on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log collectors parse without a grammar."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@signals.before_task_publish.connect
def _request_id_to_task(headers: dict | None = None, **kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


@signals.task_prerun.connect
def _request_id_from_task(task=None, **kwargs) -> None:
    # A task published by a request runs under that request's id; one published by
    # beat (or by a task without one) runs under its own task id.
    request = getattr(task, "request", None)
    request_id = getattr(request, "request_id", None)  # message headers become request attributes
    if request_id is None and request is not None and not getattr(request, "is_eager", False):
        request_id = f"task-{request.id}"
    if request_id:
        request_id_var.set(request_id)


@signals.task_postrun.connect
def _request_id_clear(task=None, **kwargs) -> None:
    if not getattr(getattr(task, "request", None), "is_eager", False):
        request_id_var.set(None)


class RoutineLogFilter(logging.Filter):
    """Lowers routine records so that WARNING keeps meaning "have a look".

    - A 400 that a view returned itself (a form with errors: the person is told what to
      change) is INFO; a 400 from an exception (SuspiciousOperation) stays a WARNING.
    - The periodic ticks of CELERY_BEAT_SCHEDULE (every 15 s: beat's "Sending due task",
      the worker's "received" and "succeeded") are DEBUG; other tasks keep their INFO lines.

    Installed on those loggers by settings.LOGGING; the lowered record is then dropped
    unless its logger is enabled for the new level.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        level = self._routine_level(record)
        if level is None or level >= record.levelno:
            return True
        record.levelno, record.levelname = level, logging.getLevelName(level)
        return logging.getLogger(record.name).isEnabledFor(level)

    def _routine_level(self, record: logging.LogRecord) -> int | None:
        if record.name == "django.request":
            routine = getattr(record, "status_code", None) == 400 and not record.exc_info
            return logging.INFO if routine else None
        return logging.DEBUG if _is_tick(record) else None


def _tick_tasks() -> frozenset[str]:
    from django.conf import settings

    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", {})
    return frozenset(entry["task"] for entry in schedule.values())


def _is_tick(record: logging.LogRecord) -> bool:
    ticks = _tick_tasks()
    if isinstance(record.args, dict):  # the worker's lines: a dict with the task's name
        return record.args.get("name") in ticks
    return any(arg in ticks for arg in record.args or ())  # beat's: (entry name, task name)
