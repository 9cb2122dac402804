"""Thin tasks: ids in, a service call, nothing else."""

from celery import shared_task

from .gateways.base import StatusUpdate
from .models import RecipientStatus
from .services.confirmations import confirmations_dispatch
from .services.dispatching import message_fan_out, recipients_dispatch
from .services.notify import replies_notify
from .services.reconciling import recipients_reconcile
from .services.reports import status_updates_apply
from .services.sweep import messaging_sweep


@shared_task(name="messaging.dispatch_chunk")
def dispatch_chunk(recipient_ids: list[int]) -> int:
    return recipients_dispatch(recipient_ids=recipient_ids)


@shared_task(name="messaging.fan_out")
def fan_out(message_id: int) -> int:
    return message_fan_out(message_id=message_id)


@shared_task(name="messaging.sweep")
def sweep() -> dict[str, int]:
    return messaging_sweep()


@shared_task(name="messaging.reconcile")
def reconcile() -> dict[str, int]:
    return recipients_reconcile()


@shared_task(name="messaging.console_delivery_report")
def console_delivery_report(provider_ids: list[str]) -> int:
    """The console gateway's simulated SMS centre reports every SMS delivered."""
    return status_updates_apply(updates=[StatusUpdate(pid, RecipientStatus.DELIVERED) for pid in provider_ids])


@shared_task(name="messaging.dispatch_confirmations")
def dispatch_confirmations(ids: list[int]) -> int:
    return confirmations_dispatch(ids=ids)


@shared_task(name="messaging.notify_replies")
def notify_replies(ids: list[int]) -> dict[str, int]:
    return replies_notify(ids=ids)
