from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CreditPack


class BuyForm(forms.Form):
    pack = forms.ModelChoiceField(
        queryset=CreditPack.objects.filter(active=True),
        error_messages={"invalid_choice": _("Choose one of the packs on sale."), "required": _("Choose a pack.")},
    )


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(
        label=_("Warn me when my credit falls under"),
        min_value=0,
        max_value=1_000_000,
        help_text=_("SMS credits, monthly quota and provision together. 0 turns the warning off."),
    )


class GrantForm(forms.Form):
    """The admin's grant/removal form: a signed amount and a reason."""

    amount = forms.IntegerField(
        label=_("Credits"),
        help_text=_("Positive to add provision, negative to remove it."),
        min_value=-1_000_000,
        max_value=1_000_000,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
