"""Delivery reports from SMS providers. No login: each gateway checks the provider's signature."""

import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .gateways import get_gateway
from .gateways.base import GatewayPermanentError
from .services.reports import status_updates_apply

logger = logging.getLogger("smsoffice.sms")


@csrf_exempt  # the provider cannot send our CSRF token; the signature check stands in for it
@require_POST
def status_callback(request: HttpRequest, alias: str) -> HttpResponse:
    try:
        gateway = get_gateway(alias)
    except ImproperlyConfigured:
        return HttpResponse(status=404)
    try:
        updates = gateway.parse_status_callback(request)
    except GatewayPermanentError as error:
        logger.warning("refused a status callback for %s: %s", alias, error)
        return HttpResponse("invalid signature", status=403, content_type="text/plain")
    status_updates_apply(updates=updates)
    return HttpResponse(status=204)
