from celery import shared_task

from .services.polling import mailalerts_tick, mailbox_poll


@shared_task(name="mailalerts.tick")
def tick() -> dict[str, int]:
    return mailalerts_tick()


# A poll is bounded by the IMAP timeouts; the soft limit turns a server that drips
# bytes for ever into a recorded failure, well inside the mailbox's lease (300 s).
@shared_task(name="mailalerts.poll", soft_time_limit=120, time_limit=150)
def poll_mailbox(mailbox_id: int, token: str) -> str:
    return mailbox_poll(mailbox_id=mailbox_id, token=token)
