"""Prometheus metrics at /metrics.

django-prometheus counts requests, latencies and database queries per process. Our
own figures (SMS results per gateway, credits captured, reminder lateness) must add
up over every gunicorn and Celery worker process, so they are kept in the cache
(Redis in production, where INCR is atomic) and read by a collector at scrape time;
the age of the oldest queued recipient is read from the database then.
Counts are added after the transaction that made them commits (a rolled-back
chunk counts nothing).
"""

import datetime as dt
import logging
import os

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from messaging.models import Recipient, RecipientStatus

logger = logging.getLogger("smsoffice.metrics")

SMS_OUTCOMES = ("accepted", "failed", "retry", "unknown")
# Seconds a reminder went out after the time the user chose.
LATENESS_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0)
_PREFIX = "metrics:"


def _key(*parts: str) -> str:
    return _PREFIX + ":".join(parts)


def _incr(values: dict[str, float]) -> None:
    try:
        for key, amount in values.items():
            cache.add(key, 0, timeout=None)
            if isinstance(amount, int):
                cache.incr(key, amount)
            else:  # a float sum: read-modify-write; a lost update only blurs an average
                cache.set(key, cache.get(key, 0) + amount, timeout=None)
    except Exception:
        logger.warning("metrics not recorded: the cache is unavailable", exc_info=True)


def metrics_sms_results(*, gateway: str, outcomes: dict[str, int]) -> None:
    """Count a chunk's results per outcome (accepted/failed/retry/unknown), once committed."""
    values = {_key("sms", gateway, outcome): count for outcome, count in outcomes.items() if count}
    if values:
        transaction.on_commit(lambda: _incr(values))


def metrics_credits_captured(amount: int) -> None:
    if amount:
        transaction.on_commit(lambda: _incr({_key("credits_captured"): amount}))


def metrics_reminder_lateness(seconds: list[float]) -> None:
    """Observe how late each reminder went out (seconds after its time)."""
    if not seconds:
        return
    values: dict[str, float] = {_key("lateness", "count"): len(seconds), _key("lateness", "sum"): float(sum(seconds))}
    for bound in LATENESS_BUCKETS:
        values[_key("lateness", "le", str(bound))] = sum(1 for value in seconds if value <= bound)
    transaction.on_commit(lambda: _incr(values))


def oldest_queued_age(now: dt.datetime | None = None) -> float:
    """Seconds the longest-waiting due recipient has waited (0 when none waits)."""
    now = now or timezone.now()
    oldest = Recipient.objects.filter(status=RecipientStatus.QUEUED, next_attempt_at__lte=now).aggregate(
        oldest=Min("next_attempt_at")
    )["oldest"]
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


class SmsOfficeCollector:
    """Reads our figures from the cache and the database each time Prometheus scrapes."""

    def describe(self):
        # What the registry checks names against, without touching the cache or database.
        yield CounterMetricFamily("smsoffice_sms_results", "", labels=["gateway", "outcome"])
        yield CounterMetricFamily("smsoffice_credits_captured", "")
        yield HistogramMetricFamily("smsoffice_reminder_lateness_seconds", "")
        yield GaugeMetricFamily("smsoffice_oldest_queued_recipient_age_seconds", "")

    def collect(self):
        gateways = list(settings.SMS_GATEWAYS)
        keys = [_key("sms", g, o) for g in gateways for o in SMS_OUTCOMES] + [_key("credits_captured")]
        keys += [_key("lateness", "count"), _key("lateness", "sum")]
        keys += [_key("lateness", "le", str(bound)) for bound in LATENESS_BUCKETS]
        stored = cache.get_many(keys)

        sms = CounterMetricFamily(
            "smsoffice_sms_results", "SMS handed to a gateway, by its answer", labels=["gateway", "outcome"]
        )
        for gateway in gateways:
            for outcome in SMS_OUTCOMES:
                sms.add_metric([gateway, outcome], stored.get(_key("sms", gateway, outcome), 0))
        yield sms
        yield CounterMetricFamily(
            "smsoffice_credits_captured", "Credits spent on SMS accepted", value=stored.get(_key("credits_captured"), 0)
        )
        buckets = [(str(b), stored.get(_key("lateness", "le", str(b)), 0)) for b in LATENESS_BUCKETS]
        count = stored.get(_key("lateness", "count"), 0)
        yield HistogramMetricFamily(
            "smsoffice_reminder_lateness_seconds",
            "How late reminders went out after their time",
            buckets=[*buckets, ("+Inf", count)],
            sum_value=stored.get(_key("lateness", "sum"), 0.0),
        )
        yield GaugeMetricFamily(
            "smsoffice_oldest_queued_recipient_age_seconds",
            "How long the longest-waiting due SMS recipient has waited",
            value=oldest_queued_age(),
        )


def metrics_registry() -> CollectorRegistry:
    """What /metrics shows. Under gunicorn with PROMETHEUS_MULTIPROC_DIR set, every worker
    process writes its samples there and this sums them (else each scrape would see the
    one worker that answered it); otherwise this process's own registry."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_collector)
    return registry


_collector = SmsOfficeCollector()
# Registered once, when the URLconf (which serves /metrics) is first imported.
REGISTRY.register(_collector)
