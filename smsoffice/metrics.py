"""Prometheus metrics at /metrics.

django-prometheus counts requests, latencies and database queries per process. Our
own figures (SMS results per gateway, credits captured, reminder lateness) must add
up over every gunicorn and Celery worker process, so the apps count them in the
cache (core/metrics.py; Redis in production, where INCR is atomic) and this
collector reads them at scrape time; the age of the oldest queued recipient is read
from the database then, and each gateway's circuit and pause from the flow store.
"""

import datetime as dt
import os

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from core.metrics import LATENESS_BUCKETS, SMS_OUTCOMES, metric_key
from messaging.gateways.flow import flows_state
from messaging.models import Recipient, RecipientStatus


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
        yield GaugeMetricFamily("smsoffice_gateway_circuit_open", "", labels=["channel", "gateway"])
        yield GaugeMetricFamily("smsoffice_gateway_paused_seconds", "", labels=["channel", "gateway"])
        yield GaugeMetricFamily("smsoffice_gateway_failures_in_a_row", "", labels=["channel", "gateway"])

    def collect(self):
        gateways = list(settings.SMS_GATEWAYS)
        keys = [metric_key("sms", g, o) for g in gateways for o in SMS_OUTCOMES] + [metric_key("credits_captured")]
        keys += [metric_key("lateness", "count"), metric_key("lateness", "sum")]
        keys += [metric_key("lateness", "le", str(bound)) for bound in LATENESS_BUCKETS]
        stored = cache.get_many(keys)

        sms = CounterMetricFamily(
            "smsoffice_sms_results", "SMS handed to a gateway, by its answer", labels=["gateway", "outcome"]
        )
        for gateway in gateways:
            for outcome in SMS_OUTCOMES:
                sms.add_metric([gateway, outcome], stored.get(metric_key("sms", gateway, outcome), 0))
        yield sms
        yield CounterMetricFamily(
            "smsoffice_credits_captured",
            "Credits spent on SMS accepted",
            value=stored.get(metric_key("credits_captured"), 0),
        )
        buckets = [(str(b), stored.get(metric_key("lateness", "le", str(b)), 0)) for b in LATENESS_BUCKETS]
        count = stored.get(metric_key("lateness", "count"), 0)
        yield HistogramMetricFamily(
            "smsoffice_reminder_lateness_seconds",
            "How late reminders went out after their time",
            buckets=[*buckets, ("+Inf", count)],
            sum_value=stored.get(metric_key("lateness", "sum"), 0.0),
        )
        yield GaugeMetricFamily(
            "smsoffice_oldest_queued_recipient_age_seconds",
            "How long the longest-waiting due SMS recipient has waited",
            value=oldest_queued_age(),
        )
        yield from _gateway_flows()


def _gateway_flows():
    """Each gateway's circuit (1: open, not called), pause (Retry-After) and failures in a row."""
    circuit = GaugeMetricFamily(
        "smsoffice_gateway_circuit_open",
        "1 while the gateway's circuit breaker is open (it is not called)",
        labels=["channel", "gateway"],
    )
    paused = GaugeMetricFamily(
        "smsoffice_gateway_paused_seconds",
        "Seconds the gateway still waits after a Retry-After",
        labels=["channel", "gateway"],
    )
    failures = GaugeMetricFamily(
        "smsoffice_gateway_failures_in_a_row", "Provider failures in a row", labels=["channel", "gateway"]
    )
    for state in flows_state():
        labels = [state.channel, state.alias]
        circuit.add_metric(labels, 1 if state.circuit_open_for else 0)
        paused.add_metric(labels, state.paused_for)
        failures.add_metric(labels, state.failures)
    yield circuit
    yield paused
    yield failures


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
