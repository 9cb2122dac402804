"""Our own metric counters, kept in the cache so they add up over every process.

Counts are added after the transaction that made them commits (a rolled-back chunk
counts nothing). The shell's collector (smsoffice/metrics.py) reads them at scrape time.
"""

import logging

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("smsoffice.metrics")

SMS_OUTCOMES = ("accepted", "failed", "retry", "unknown")
# Seconds a reminder went out after the time the user chose.
LATENESS_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0)
_PREFIX = "metrics:"


def metric_key(*parts: str) -> str:
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
    values = {metric_key("sms", gateway, outcome): count for outcome, count in outcomes.items() if count}
    if values:
        transaction.on_commit(lambda: _incr(values))


def metrics_credits_captured(amount: int) -> None:
    if amount:
        transaction.on_commit(lambda: _incr({metric_key("credits_captured"): amount}))


def metrics_reminder_lateness(seconds: list[float]) -> None:
    """Observe how late each reminder went out (seconds after its time)."""
    if not seconds:
        return
    values: dict[str, float] = {
        metric_key("lateness", "count"): len(seconds),
        metric_key("lateness", "sum"): float(sum(seconds)),
    }
    for bound in LATENESS_BUCKETS:
        values[metric_key("lateness", "le", str(bound))] = sum(1 for value in seconds if value <= bound)
    transaction.on_commit(lambda: _incr(values))
