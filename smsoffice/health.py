"""Probes for the orchestrator, and /metrics for Prometheus. No login: nothing private is shown.

/healthz: the process answers (liveness). /readyz: the database, the broker and the
SMS gateway configuration work (readiness: send traffic here). Each failing check
says which and why, without secrets. /readyz also shows each gateway's circuit
(`circuits`: open, paused by Retry-After, or closed); an open circuit does not make
this process unready, since sends are still accepted and wait in the outbox.
"""

import hmac
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
            results[name] = f"failing: {type(error).__name__}: {str(error)[:200]}"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"ready": ready, "checks": results, "circuits": _circuits()}, status=200 if ready else 503)


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
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse("a metrics token is required\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
