"""Prometheus metrics at /metrics: requests, SMS results per gateway, credits, queue age."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.metrics import metrics_credits_captured, metrics_sms_results
from messaging.gateways.base import Outcome, SendResult
from messaging.models import Recipient
from messaging.services.accepting import message_send


@pytest.fixture(autouse=True)
def _empty_metrics():
    cache.clear()
    yield
    cache.clear()


def metric(client, name: str, **labels) -> float:
    """The value of one sample on /metrics (0 when absent)."""
    body = client.get(reverse("metrics")).content.decode()
    label_text = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(label_text) + r"\}" if labels else "") + r" (\S+)"
    found = re.search(r"^" + pattern + "$", body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_requests_sms_results_and_credits(
    client, sender, locmem_gateway, django_capture_on_commit_callbacks
):
    # The second of three numbers is refused by the operator.
    locmem_gateway.script = lambda sms: SendResult(
        Outcome.FAILED if sms.to.endswith("2") else Outcome.ACCEPTED, code="21211", reason="invalid"
    )
    with django_capture_on_commit_callbacks(execute=True):
        message_send(user=sender, body="Hi", to=["+32475000001", "+32475000002", "+32475000003"])

    assert metric(client, "smsoffice_sms_results_total", gateway="default", outcome="accepted") == 2
    assert metric(client, "smsoffice_sms_results_total", gateway="default", outcome="failed") == 1
    assert metric(client, "smsoffice_credits_captured_total") == 2
    assert metric(client, "django_http_requests_total_by_method_total", method="GET") >= 1


def test_a_rolled_back_chunk_counts_nothing(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            metrics_sms_results(gateway="default", outcomes={"accepted": 3})
            metrics_credits_captured(3)
            raise RuntimeError("the chunk's transaction fails")
        metrics_sms_results(gateway="default", outcomes={"failed": 1})  # this one commits
    assert metric(client, "smsoffice_sms_results_total", gateway="default", outcome="accepted") == 0
    assert metric(client, "smsoffice_credits_captured_total") == 0
    assert metric(client, "smsoffice_sms_results_total", gateway="default", outcome="failed") == 1


def test_metrics_show_how_long_the_oldest_due_recipient_has_waited(client, sender):
    message = message_send(user=sender, body="Hi", to=["+32475000001"])  # never dispatched: no commit
    Recipient.objects.filter(message=message).update(next_attempt_at=timezone.now() - dt.timedelta(minutes=5))
    assert 300 <= metric(client, "smsoffice_oldest_queued_recipient_age_seconds") < 330


def test_metrics_can_require_a_token(client, db, settings):
    settings.METRICS_TOKEN = "scrape-token-123"
    assert client.get(reverse("metrics")).status_code == 401
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer scrape-token-123").status_code == 200
