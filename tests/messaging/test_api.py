"""POST/GET/DELETE /api/v1/messages/ and POST /api/v1/segments/."""

import datetime as dt
import logging
import signal
import socket
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from credits.models import Hold
from messaging.models import Message


@pytest.fixture
def api(sender):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sender).key}")
    return client


def test_send_answers_202_with_recipients_in_e164(api, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            reverse("api_messages"),
            {"to": ["0475 12 34 56"], "contacts": [bob.pk], "body": "Hi", "signature": False},
            format="json",
        )
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["encoding"], body["segments"], body["credits_held"]) == ("sending", "GSM-7", 1, 2)
    assert [r["to"] for r in body["recipients"]] == ["+32475123456", "+32486112233"]
    current = api.get(reverse("api_message", args=[body["id"]])).json()
    assert {r["status"] for r in current["recipients"]} == {"accepted"}


def test_bad_inputs_are_each_named_with_a_400(api):
    response = api.post(
        reverse("api_messages"),
        {"to": ["+32 2 555 12 12", "nonsense"], "contacts": [424242], "body": "hi"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["field"], e["input"]) for e in errors] == [
        ("to", "+32 2 555 12 12"),
        ("to", "nonsense"),
        ("contacts", "424242"),
    ]
    assert "is not a mobile number" in errors[0]["reason"]
    assert not Message.objects.exists() and not Hold.objects.exists()


def test_short_credit_answers_402_with_needed_and_available(api):
    numbers = [f"+3247512{n:04d}" for n in range(31)]
    response = api.post(reverse("api_messages"), {"to": numbers, "body": "hi"}, format="json")
    assert response.status_code == 402
    assert (response.json()["needed"], response.json()["available"]) == (31, 30)
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"to": "+32475123456", "body": "hi"},  # not a list
        {"to": [["nested"]], "body": "hi"},
        {"to": ["+32475123456"]},  # no body
        {"to": ["+32475123456"], "body": "x" * 1_000_000},
        {"to": ["+32475123456"], "body": "hi", "send_at": "tomorrow"},
        {"to": ["+32475123456"], "body": "hi", "contacts": ["abc"]},
        [],
    ],
)
def test_json_of_the_wrong_shape_is_a_400(api, payload):
    response = api.post(reverse("api_messages"), payload, format="json")
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_a_scheduled_send_is_canceled_with_delete(api, sender):
    when = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    created = api.post(
        reverse("api_messages"), {"to": ["+32475123456"], "body": "later", "send_at": when}, format="json"
    ).json()
    assert created["status"] == "scheduled"
    url = reverse("api_message", args=[created["id"]])
    assert api.delete(url).status_code == 204
    assert api.get(url).json()["status"] == "canceled"
    again = api.delete(url)
    assert again.status_code == 400 and "Only a scheduled send" in again.json()["detail"]


def test_segments_counts_exactly_the_body(api):
    response = api.post(reverse("api_segments"), {"body": "Don’t 😀"}, format="json")
    assert response.json() == {"encoding": "UCS-2", "length": 8, "segments": 1, "ucs2_characters": ["’", "😀"]}
    response = api.post(reverse("api_segments"), {"body": "{" * 81}, format="json")
    assert response.json() == {"encoding": "GSM-7", "length": 162, "segments": 2, "ucs2_characters": []}


def test_the_api_needs_a_token(db):
    assert APIClient().post(reverse("api_segments"), {"body": "x"}, format="json").status_code == 401


def test_api_requests_are_rate_limited_per_user(api, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import UserRateThrottle

    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    codes = [api.post(reverse("api_segments"), {"body": "x"}, format="json").status_code for _ in range(4)]
    cache.clear()
    assert codes == [200, 200, 200, 429]


def test_the_schema_documents_the_messaging_endpoints(api):
    schema = api.get(reverse("api_schema")).content.decode()
    for path in ("/api/v1/messages/", "/api/v1/messages/{message_id}/", "/api/v1/segments/"):
        assert path in schema
    assert "a time without a zone is refused" in schema


# Found by schemathesis (tests/test_api_fuzz.py): each answered outside the schema before.
def test_a_missing_field_is_a_400_in_the_documented_shape(api):
    response = api.post(reverse("api_messages"), {"to": ["+32475123456"]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "body", "input": "", "reason": "This field is required."}]


def test_a_bad_item_in_a_list_names_that_item(api):
    response = api.post(reverse("api_messages"), {"contacts": [1, "x"], "body": "hi"}, format="json")
    assert response.json()["errors"] == [{"field": "contacts", "input": "x", "reason": "A valid integer is required."}]


def test_malformed_json_is_a_400_in_the_documented_shape(api):
    response = api.generic("POST", reverse("api_messages"), "\x00", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [] and "JSON parse error" in response.json()["detail"]


def test_a_form_encoded_body_is_refused_with_415_in_json(api):
    form = "to=%2B32475123456&body=hi"
    response = api.generic("POST", reverse("api_messages"), form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_an_api_path_that_matches_no_route_is_a_json_404(api):
    response = api.get("/api/v1/messages/null,null/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# Found by the adversarial probe: every API request was a 500 while Redis was down,
# because the per-user throttle reads the cache before the view runs.
REDIS_DOWN = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.mark.parametrize("auth", ["token", "session"])
def test_a_send_is_accepted_while_redis_is_down_and_a_warning_is_logged(api, sender, auth, caplog):
    client = api if auth == "token" else APIClient()
    if auth == "session":
        client.force_login(sender)
    with override_settings(CACHES=REDIS_DOWN), caplog.at_level(logging.WARNING, logger="smsoffice.throttling"):
        response = client.post(reverse("api_messages"), {"to": ["+32475123456"], "body": "hi"}, format="json")
    assert response.status_code == 202
    assert Message.objects.count() == 1
    assert any(r.levelno == logging.WARNING and "rate limit" in r.getMessage() for r in caplog.records)


def test_a_redis_that_never_answers_delays_a_send_by_about_a_second_not_for_ever(api, sender):
    """Unreachable is not refused: a listening socket that never answers (as a dropped route or a
    paused VM looks). The cache's socket timeouts turn it into "cache away" (fail open)."""
    from smsoffice.settings.base import redis_cache

    def waited_too_long(signum, frame):
        raise AssertionError("the request was still waiting for Redis after 20 s")

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes the connections; nobody ever reads or answers
    previous = signal.signal(signal.SIGALRM, waited_too_long)
    signal.alarm(20)
    try:
        with override_settings(CACHES={"default": redis_cache(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")}):
            started = time.monotonic()
            response = api.post(reverse("api_messages"), {"to": ["+32475123456"], "body": "hi"}, format="json")
            seconds = time.monotonic() - started
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        silent.close()
    assert response.status_code == 202
    assert seconds < 5


def test_while_redis_is_down_the_rate_limit_is_counted_in_the_process(api, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    from smsoffice.throttling import _LOCAL

    _LOCAL.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    with override_settings(CACHES=REDIS_DOWN):
        codes = [api.post(reverse("api_segments"), {"body": "x"}, format="json").status_code for _ in range(4)]
    _LOCAL.clear()
    assert codes == [200, 200, 200, 429]


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: set REDIS_URL (CI always does)")
def test_the_rate_limit_still_holds_with_redis_up(api, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    redis_up = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    with override_settings(CACHES=redis_up):
        cache.clear()
        try:
            codes = [api.post(reverse("api_segments"), {"body": "x"}, format="json").status_code for _ in range(4)]
        finally:
            cache.clear()
    assert codes == [200, 200, 200, 429]


# Found by the adversarial probe: JSON can spell what UTF-8 cannot carry (a lone
# surrogate) and nest deeper than Python recurses; both were 500s.
@pytest.mark.parametrize(
    "url, raw",
    [
        ("api_messages", r'{"to": ["+32475123456"], "body": "hi \ud800"}'),
        ("api_messages", r'{"to": ["+32475123456\udfff"], "body": "hi"}'),
        ("api_messages", r'{"to": ["+32475123456"], "body": "hi", "send_at": "2030-01-01T09:00:00+01:00\ud800"}'),
        ("api_messages", r'{"to": ["+32475123456"], "body": "hi", "\ud800": 1}'),
        ("api_segments", r'{"body": "hi \ud800"}'),
        ("api_segments", "[" * 100_000),
        ("api_messages", '{"to": ' + "[" * 100_000),
        ("api_messages", '{"body": "hi", "to": ' + "[" * 50 + "]" * 50 + "}"),
    ],
)
def test_unencodable_or_deeply_nested_json_is_a_400_in_the_documented_shape(api, url, raw):
    response = api.generic("POST", reverse(url), raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [] and "JSON parse error" in response.json()["detail"]
    assert not Message.objects.exists()


def test_a_surrogate_pair_spelled_in_json_is_one_emoji(api):
    response = api.generic(
        "POST", reverse("api_segments"), r'{"body": "\ud83d\ude00"}', content_type="application/json"
    )
    assert response.json()["ucs2_characters"] == ["😀"]


def test_a_lone_surrogate_is_named_with_its_field(api):
    raw = r'{"to": ["+32475123456", "+32475\udfff"], "body": "hi"}'
    detail = api.generic("POST", reverse("api_messages"), raw, content_type="application/json").json()["detail"]
    assert "to[1] has a lone UTF-16 surrogate (\\udfff)" in detail


# Found by the adversarial probe: a send_at without a zone was read as UTC with a token
# and as the user's zone with a session (the middleware had switched zones by then).
@pytest.mark.parametrize("auth", ["token", "session"])
def test_a_send_at_without_a_time_zone_is_refused_on_both_auths(api, sender, auth):
    sender.time_zone = "Europe/Brussels"
    sender.save()
    client = api if auth == "token" else APIClient()
    if auth == "session":
        client.force_login(sender)
    day = (timezone.now() + dt.timedelta(days=2)).date()
    payload = {"to": ["+32475123456"], "body": "later", "send_at": f"{day}T09:00:00"}
    response = client.post(reverse("api_messages"), payload, format="json")
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert (problem["field"], problem["input"]) == ("send_at", f"{day}T09:00:00")
    assert problem["reason"].startswith("Give the time with its time zone")
    assert not Message.objects.exists()
    payload["send_at"] = f"{day}T09:00:00+01:00"
    assert client.post(reverse("api_messages"), payload, format="json").status_code == 202
    assert Message.objects.get().send_at == dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
