"""Delivery reports and incoming SMS from SMS providers. No login: each gateway checks the
provider's signature."""

import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .gateways import get_gateway
from .gateways.base import GatewayPermanentError
from .services.incoming import IncomingRefused, incoming_receive
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


# Twilio reads the answer as TwiML: an empty <Response/> sends nothing back (the answers
# to STOP and START go through our outbox, once).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@csrf_exempt  # as status_callback: the signature stands in for the CSRF token
@require_POST
def incoming_message(request: HttpRequest, alias: str) -> HttpResponse:
    """An SMS someone sent to our number. A replay of a provider id is answered alike and stored once."""
    try:
        gateway = get_gateway(alias)
    except ImproperlyConfigured:
        return _refuse(404, f"no SMS gateway named {alias}")
    if not gateway.takes_incoming_webhook:
        return _refuse(404, f"gateway {alias} takes no incoming-message webhook")
    try:
        data = gateway.parse_incoming(request)
    except GatewayPermanentError as error:
        logger.warning("refused an incoming SMS for %s: %s", alias, error)
        return _refuse(403, "invalid signature")
    if not data.provider_id:
        return _refuse(400, "MessageSid is missing")
    try:
        incoming_receive(
            gateway=alias,
            provider_id=data.provider_id,
            from_number=data.from_number,
            to_number=data.to_number,
            text=data.text,
        )
    except IncomingRefused as error:
        logger.warning("refused an incoming SMS for %s: %s", alias, error)
        return _refuse(400, str(error))
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def _refuse(status: int, reason: str) -> HttpResponse:
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")
