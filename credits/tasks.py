from celery import shared_task

from .models import CreditAccount
from .services import low_credit_email_send, rollover_due_accounts


@shared_task(name="credits.send_low_credit_warning")
def send_low_credit_warning(account_id: int) -> bool:
    account = CreditAccount.objects.select_related("user", "organisation").filter(pk=account_id).first()
    # The flag may have been cleared (credit bought) before the task ran: then say nothing.
    if account is None or not account.low_credit_warned:
        return False
    return low_credit_email_send(account=account)


@shared_task(name="credits.rollover_due_accounts")
def rollover_due() -> int:
    return rollover_due_accounts()
