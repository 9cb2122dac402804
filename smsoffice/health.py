"""Probes for the orchestrator, and /metrics for Prometheus. No login: nothing private is shown.

/healthz: the process answers (liveness). /readyz: the database, the broker and the
SMS gateway configuration work (readiness: send traffic here). Each failing check
says which and why, without secrets; the error's own words (which name internal hosts
and ports) only to a caller with the metrics token, and always in the log. /readyz
also shows each gateway's circuit (`circuits`: open, paused by Retry-After, or closed);
an open circuit does not make this process unready, since sends are still accepted and
wait in the outbox.
"""

import hmac
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import OperationalError as BrokerError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from messaging.gateways import check_all_gateways
from messaging.gateways.flow import flows_state

from .celery import app as celery_app
from .metrics import metrics_registry

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 2.0  # seconds: a probe must answer before the orchestrator gives up


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "broker": _broker, "gateway": check_all_gateways}
# What each check may raise when its component is down or misconfigured.
FAILURES = (DatabaseError, BrokerError, ConnectionError, OSError, TimeoutError, ImproperlyConfigured)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except FAILURES as error:
            logger.warning("readyz: %s failing: %s: %s", name, type(error).__name__, error)
            results[name] = _failure_text(error, detailed=_has_metrics_token(request))
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"ready": ready, "checks": results, "circuits": _circuits()}, status=200 if ready else 503)


def _failure_text(error: Exception, *, detailed: bool) -> str:
    """What a failing check says. A configuration error names settings (TWILIO_FROM), which
    anyone may read; a connection error names hosts and ports, for operators only."""
    if detailed or isinstance(error, ImproperlyConfigured):
        return f"failing: {type(error).__name__}: {str(error)[:200]}"
    return f"failing: {type(error).__name__} (details in the server log)"


def _has_metrics_token(request: HttpRequest) -> bool:
    """The caller sent `Authorization: Bearer <METRICS_TOKEN>`, or no token is configured (development)."""
    token = settings.METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return hmac.compare_digest(given.encode(), token.encode())


def _circuits() -> dict[str, str]:
    """Each gateway's flow state, "channel/alias" -> what stops it, or "closed"."""
    try:
        states = flows_state()
    except FAILURES:  # a gateway that cannot be built is the gateway check's failure
        return {}
    circuits = {}
    for state in states:
        if state.circuit_open_for:
            text = f"open for {state.circuit_open_for:.0f} s"
        elif state.paused_for:
            text = f"paused for {state.paused_for:.0f} s (Retry-After)"
        else:
            text = "closed"
        circuits[f"{state.channel}/{state.alias}"] = text
    return circuits


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    if not _has_metrics_token(request):
        return HttpResponse("a metrics token is required\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
