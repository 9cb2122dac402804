from celery import shared_task

from .agenda import agenda_tick
from .services import reminders_tick


@shared_task(name="reminders.tick")
def tick() -> dict[str, dict[str, int]]:
    return {"reminders": reminders_tick(), "agenda": agenda_tick()}
