"""The bound on every credit amount that enters the system (CREDIT_MAX_GRANT).

A model field names this function, not the number: the migration stays the same when
the setting changes, and the admin's forms check it like any field validator.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def validate_credit_amount(value: int | None) -> None:
    """Refuse an amount over CREDIT_MAX_GRANT (a pack, a plan's allowance, a threshold, a per-user limit).

    Without it, a pack of 2,147,483,647 credits was accepted and its approval overflowed
    the balance column (a 500).
    """
    if value is not None and value > settings.CREDIT_MAX_GRANT:
        raise ValidationError(
            _("%(value)s is too large: at most %(max)s."),
            code="max_value",
            params={"value": value, "max": settings.CREDIT_MAX_GRANT},
        )
