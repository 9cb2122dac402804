from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from .models import CreditPack


def bound_by_setting(field: forms.IntegerField, *, signed: bool) -> None:
    """Bound an amount field by CREDIT_MAX_GRANT as it is now (the setting, not a number fixed at import)."""
    limit = settings.CREDIT_MAX_GRANT
    field.max_value, field.min_value = limit, -limit if signed else 0
    field.validators += [MaxValueValidator(limit), MinValueValidator(field.min_value)]
    field.widget.attrs.update({"max": limit, "min": field.min_value})


class BuyForm(forms.Form):
    pack = forms.ModelChoiceField(
        queryset=CreditPack.objects.filter(active=True),
        error_messages={"invalid_choice": _("Choose one of the packs on sale."), "required": _("Choose a pack.")},
    )


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(
        label=_("Warn me when my credit falls under"),
        help_text=_("SMS credits, monthly quota and provision together. 0 turns the warning off."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bound_by_setting(self.fields["threshold"], signed=False)


class GrantForm(forms.Form):
    """The admin's grant/removal form: a signed amount and a reason."""

    amount = forms.IntegerField(
        label=_("Credits"),
        help_text=_("Positive to add provision, negative to remove it."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bound_by_setting(self.fields["amount"], signed=True)
