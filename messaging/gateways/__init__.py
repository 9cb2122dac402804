"""Gateways for every channel, chosen by settings like Django's email backends: one
registry, one setting a channel (SMS_GATEWAYS, FAX_GATEWAYS, EMAIL_GATEWAYS), each
{alias: {"BACKEND": dotted path, "OPTIONS": {...}}}.

Every gateway takes the contract of base.py: `send_many(items) -> list[SendResult]`
(or `send_one_async(item)` for one item a request). Each gets its `Flow` (flow.py:
RATE, MAX_IN_FLIGHT, Retry-After, circuit breaker) from the same OPTIONS.
SMS gateways live here; the Messages tool's fax and email gateways in broadcasts/.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .base import BaseGateway
from .flow import Flow

SETTINGS = {"sms": "SMS_GATEWAYS", "fax": "FAX_GATEWAYS", "email": "EMAIL_GATEWAYS"}


_built: dict[tuple[str, str], BaseGateway] = {}


def get_gateway(alias: str = "default", *, channel: str = "sms") -> BaseGateway:
    """The gateway `alias` of `channel`, built once a process."""
    gateway = _built.get((channel, alias))
    if gateway is None:
        gateway = _built[(channel, alias)] = _build(alias, channel)
    return gateway


def _build(alias: str, channel: str) -> BaseGateway:
    setting = SETTINGS[channel]
    try:
        config = getattr(settings, setting)[alias]
    except KeyError:
        raise ImproperlyConfigured(f"{setting} has no gateway named {alias!r}.") from None
    try:
        gateway_class = import_string(config["BACKEND"])
    except (KeyError, ImportError) as error:
        raise ImproperlyConfigured(f"{setting}[{alias!r}]: BACKEND is missing or wrong: {error}") from error
    options = config.get("OPTIONS", {})
    gateway = gateway_class(alias, options)
    gateway.channel = channel
    gateway.flow = Flow.from_options(channel, alias, options, gateway_class.flow_defaults)
    return gateway


def check_all_gateways() -> None:
    """Build every configured gateway now, so a missing credential stops the start-up."""
    for channel, setting in SETTINGS.items():
        for alias in getattr(settings, setting):
            get_gateway(alias, channel=channel)


@receiver(setting_changed)
def _forget_gateways(*, setting: str, **kwargs) -> None:
    # Tests override the settings: build the gateways again from the new ones.
    if setting in SETTINGS.values():
        for gateway in list(_built.values()):
            gateway.close()
        _built.clear()
