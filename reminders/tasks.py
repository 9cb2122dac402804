from celery import shared_task

from .services.agenda import agenda_tick
from .services.calendars import reminders_tick


@shared_task(name="reminders.tick")
def tick() -> dict[str, dict[str, int]]:
    return {"reminders": reminders_tick(), "agenda": agenda_tick()}
