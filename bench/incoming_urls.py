"""The URLs gunicorn serves in bench/incoming_sms.py: the app's, plus the two baselines.

Both baselines go through the same server, middleware, gateway lookup and Twilio
signature check as our webhook; only what happens after the check differs.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging.gateways import get_gateway
from messaging.models import IncomingSMS
from messaging.webhooks import EMPTY_TWIML


@csrf_exempt
@require_POST
def bare(request: HttpRequest, alias: str) -> HttpResponse:
    """The baseline: the signature checked, the form read, nothing stored."""
    get_gateway(alias).parse_incoming(request)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def store_only(request: HttpRequest, alias: str) -> HttpResponse:
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
