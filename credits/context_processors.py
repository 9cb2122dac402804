from django.http import HttpRequest

from .models import CreditAccount


def low_credit(request: HttpRequest) -> dict:
    """`low_credit_account` for the banner, when the user's credit is under their threshold."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    account = CreditAccount.objects.filter(user=user, low_credit_warned=True).first()
    return {"low_credit_account": account}
