"""Project-wide tasks."""

from celery import shared_task


@shared_task(name="smsoffice.ping")
def ping() -> str:
    """Answer "pong": lets /readyz-style checks and tests prove a worker consumes the broker."""
    return "pong"
