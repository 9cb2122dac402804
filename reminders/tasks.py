from celery import shared_task

from .services import reminders_tick


@shared_task(name="reminders.tick")
def tick() -> dict[str, int]:
    return reminders_tick()
