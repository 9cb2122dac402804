"""Thin tasks: ids in, a service call, nothing else."""

from celery import shared_task

from .services import deliveries_dispatch, deliveries_sweep


@shared_task(name="broadcasts.dispatch_deliveries")
def dispatch_deliveries(delivery_ids: list[int]) -> int:
    """Email and fax copies of the Messages tool."""
    return deliveries_dispatch(delivery_ids=delivery_ids)


@shared_task(name="broadcasts.sweep")
def sweep() -> dict[str, int]:
    return deliveries_sweep()
