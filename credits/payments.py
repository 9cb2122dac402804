"""Payment adapters, chosen by the PAYMENT_ADAPTER setting like Django's email backends.

An adapter starts the payment of a Purchase and says what happened: approved at
once, failed, or pending (approved later, by an administrator or a provider's callback).
"""

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Purchase


class PaymentOutcome(enum.StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentResult:
    outcome: PaymentOutcome
    reference: str = ""
    message: str = ""


class BasePaymentAdapter:
    name = "base"

    def start(self, purchase: "Purchase") -> PaymentResult:
        raise NotImplementedError


class ManualPaymentAdapter(BasePaymentAdapter):
    """The purchase waits until an administrator approves it in the admin (invoice, transfer)."""

    name = "manual"

    def start(self, purchase: "Purchase") -> PaymentResult:
        return PaymentResult(PaymentOutcome.PENDING, reference=f"manual-{purchase.pk}")


class TestPaymentAdapter(BasePaymentAdapter):
    """Approves (or, with TEST_PAYMENT_OUTCOME, fails or leaves pending) every purchase at once."""

    name = "test"

    def start(self, purchase: "Purchase") -> PaymentResult:
        outcome = PaymentOutcome(getattr(settings, "TEST_PAYMENT_OUTCOME", PaymentOutcome.APPROVED))
        message = "card declined (test adapter)" if outcome == PaymentOutcome.FAILED else ""
        return PaymentResult(outcome, reference=f"test-{purchase.pk}", message=message)


def get_payment_adapter() -> BasePaymentAdapter:
    return import_string(settings.PAYMENT_ADAPTER)()
