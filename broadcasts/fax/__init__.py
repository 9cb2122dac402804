"""Fax gateways, chosen by the FAX_GATEWAY setting like the SMS gateways and Django's mail backends.

A fax gateway takes the same contract as an SMS gateway (gateways/base.py):
`send_many(faxes) -> list[SendResult]`, one result per fax in order, ACCEPTED meaning
the fax service took the fax. Shipped: `email_to_fax` (the PDF mailed to an address
built from the number), `console` (logs; the embedded default) and `locmem` (tests).
"""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .base import BaseFaxGateway


@cache
def get_fax_gateway() -> BaseFaxGateway:
    config = settings.FAX_GATEWAY
    try:
        gateway_class = import_string(config["BACKEND"])
    except (KeyError, ImportError) as error:
        raise ImproperlyConfigured(f"FAX_GATEWAY: BACKEND is missing or wrong: {error}") from error
    return gateway_class(config.get("OPTIONS", {}))


@receiver(setting_changed)
def _forget_gateway(*, setting: str, **kwargs) -> None:
    if setting == "FAX_GATEWAY":
        get_fax_gateway.cache_clear()
