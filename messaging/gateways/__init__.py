"""Gateways are chosen by the SMS_GATEWAYS setting, like Django's email backends."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .base import BaseGateway


@cache
def get_gateway(alias: str = "default") -> BaseGateway:
    try:
        config = settings.SMS_GATEWAYS[alias]
    except KeyError:
        raise ImproperlyConfigured(f"SMS_GATEWAYS has no gateway named {alias!r}.") from None
    try:
        gateway_class = import_string(config["BACKEND"])
    except (KeyError, ImportError) as error:
        raise ImproperlyConfigured(f"SMS_GATEWAYS[{alias!r}]: BACKEND is missing or wrong: {error}") from error
    return gateway_class(alias, config.get("OPTIONS", {}))


def check_all_gateways() -> None:
    """Build every configured gateway now, so a missing credential stops the start-up."""
    for alias in settings.SMS_GATEWAYS:
        get_gateway(alias)


@receiver(setting_changed)
def _forget_gateways(*, setting: str, **kwargs) -> None:
    # Tests override SMS_GATEWAYS: build the gateways again from the new setting.
    if setting == "SMS_GATEWAYS":
        get_gateway.cache_clear()
