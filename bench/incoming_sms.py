"""10,000 incoming SMS through the Twilio webhook (signed with the SDK's RequestValidator), on PostgreSQL.

Prints, in one run:
- the baseline: 10,000 bare webhook requests (same URL shape, same middleware, the signature
  checked by the same gateway code) that store nothing;
- a second baseline: the same requests, each SMS stored (one INSERT, committed) but not routed;
- the real thing: 10,000 signed incoming SMS through our webhook, each stored and matched to
  the SMS it answers among 10,000 sent (100 users x 100 numbers) in one statement; target
  within 2x of the bare webhook. (Users are told later, by the sweep: not in the request.)

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice_bench .venv/bin/python bench/incoming_sms.py
"""

import time

from common import throwaway_database
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator

from credits.models import Plan
from messaging.gateways import get_gateway
from messaging.models import IncomingSMS, Recipient, RecipientStatus
from messaging.services.accepting import message_send
from messaging.webhooks import EMPTY_TWIML
from tests.factories import UserFactory
from tests.workers import RedisServer, use_broker

COUNT, USERS = 10_000, 100
TOKEN = "bench-token"  # noqa: S105 - signs loopback requests only
INCOMING = "http://testserver/webhooks/sms/default/incoming/"
BARE = "http://testserver/bench/bare/default/"
STORE = "http://testserver/bench/store/default/"
TWILIO = {
    "default": {
        "BACKEND": "messaging.gateways.twilio.TwilioGateway",
        "OPTIONS": {"ACCOUNT_SID": "AC" + "3" * 32, "AUTH_TOKEN": TOKEN, "FROM": "+3228880000"},
    }
}


@csrf_exempt
def bare(request, alias):
    """The baseline: the signature checked, the form read, nothing stored."""
    get_gateway(alias).parse_incoming(request)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
def store_only(request, alias):
    """The second baseline: signature checked and the SMS stored (one INSERT, committed), not routed."""
    data = get_gateway(alias).parse_incoming(request)
    IncomingSMS.objects.create(
        gateway=f"{alias}-store-only",
        provider_id=data.provider_id,
        from_number=data.from_number,
        to_number=data.to_number,
        text=data.text,
        received_at=timezone.now(),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


urlpatterns = [
    path("bench/bare/<slug:alias>/", bare),
    path("bench/store/<slug:alias>/", store_only),
    path("", include("smsoffice.urls")),
]


def signed(url: str, n: int, number: str) -> tuple[dict, str]:
    params = {"MessageSid": f"SM{n:032d}", "From": number, "To": "+3228880000", "Body": f"Reply {n} 👍"}
    return params, RequestValidator(TOKEN).compute_signature(url, params)


def post_all(client: Client, url: str, requests: list[tuple[dict, str]]) -> float:
    start = time.perf_counter()
    for params, signature in requests:
        response = client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 200, response.content
    return time.perf_counter() - start


def main() -> None:
    with throwaway_database(postgres_only=True):
        run()


def run() -> None:
    Plan.objects.create(name="Bench", monthly_allowance=1_000, is_default=True)
    numbers = [f"+3247{n:07d}" for n in range(COUNT // USERS)]
    for u in range(USERS):
        user = UserFactory(email=f"user{u}@example.com")
        # The same 100 numbers get an SMS from every user: each reply must find the last sender.
        message_send(user=user, body=f"Hello from {u}", to=numbers)
    # Sent through the test settings' locmem gateway; the replies come through Twilio's webhook.
    Recipient.objects.update(status=RecipientStatus.ACCEPTED)
    # The notification email is a task for a worker (not measured): published to a Redis
    # of the run's own, as in production, instead of run in the request.
    redis = RedisServer()
    redis.start()
    try:
        use_broker(redis.url, "bench-incoming")
        with override_settings(SMS_GATEWAYS=TWILIO, ROOT_URLCONF=__name__):
            measure(numbers)
    finally:
        redis.stop()


def measure(numbers: list[str]) -> None:
    client = Client()
    bare_requests = [signed(BARE, n, numbers[n % len(numbers)]) for n in range(COUNT)]
    store_requests = [signed(STORE, n, numbers[n % len(numbers)]) for n in range(COUNT)]
    real_requests = [signed(INCOMING, n, numbers[n % len(numbers)]) for n in range(COUNT)]
    assert reverse("sms_incoming", args=["default"]) == "/webhooks/sms/default/incoming/"

    # Interleaved in blocks of 1,000, so that a neighbour's load on the machine falls on all three alike.
    baseline = store_only_s = routed = 0.0
    for start in range(0, COUNT, 1_000):
        block = slice(start, start + 1_000)
        baseline += post_all(client, "/bench/bare/default/", bare_requests[block])
        store_only_s += post_all(client, "/bench/store/default/", store_requests[block])
        routed += post_all(client, "/webhooks/sms/default/incoming/", real_requests[block])
    stored = IncomingSMS.objects.filter(gateway="default").count()
    matched = IncomingSMS.objects.filter(gateway="default", user__isnull=False).count()
    assert stored == matched == COUNT, (stored, matched)
    print(
        f"baseline: {COUNT:,} bare signed webhook requests (nothing stored): {baseline:.1f} s, "
        f"{COUNT / baseline:,.0f}/s"
    )
    print(
        f"stored only: {COUNT:,} signed SMS stored (one INSERT each, committed), not routed: "
        f"{store_only_s:.1f} s, {COUNT / store_only_s:,.0f}/s"
    )
    print(
        f"incoming: {COUNT:,} signed SMS stored and routed among {COUNT:,} sent (the webhook): {routed:.1f} s, "
        f"{COUNT / routed:,.0f}/s: {routed / baseline:.2f}x the bare webhook (target <= 2x), "
        f"{routed / store_only_s:.2f}x storing alone"
    )
    if routed > 2 * baseline:
        print("over the target: see docs/architecture.md (Replies and consent) for where the time goes")


if __name__ == "__main__":
    main()
