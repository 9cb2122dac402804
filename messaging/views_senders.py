"""Settings → Sender IDs: the names an organisation (or a user outside any) sends as, and
asking for a new one. Approval is an installation administrator's, in the admin."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.selectors import membership_of

from .selectors import sender_ids_of
from .senders import SENDER_ID_MAX, refused_countries_named
from .services.senders import SenderIdRefused, may_request_sender_ids, sender_id_request


class SenderIdForm(forms.Form):
    # No max_length here: a longer name gets the service's reason, which says how long it is.
    name = forms.CharField(
        label=gettext_lazy("Sender ID"),
        strip=False,
        help_text=gettext_lazy("At most 11 letters (A-Z, a-z), digits or spaces, with at least one letter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": SENDER_ID_MAX + 4}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def sender_ids(request: HttpRequest) -> HttpResponse:
    membership = membership_of(user=request.user)
    may_ask = may_request_sender_ids(membership)
    form = SenderIdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sender_id = sender_id_request(user=request.user, name=form.cleaned_data["name"], now=timezone.now())
        except SenderIdRefused as refused:
            form.add_error("name", str(refused))
        else:
            messages.success(
                request, _("“%(name)s” is asked for: an administrator will approve it.") % {"name": sender_id.name}
            )
            return redirect("sender_ids")
    context = {
        "form": form,
        "may_ask": may_ask,
        "organisation": membership.organisation if membership else None,
        "sender_ids": sender_ids_of(user=request.user).select_related("requested_by"),
        "name_refused_in": refused_countries_named(),
    }
    return render(request, "messaging/sender_ids.html", context, status=400 if form.errors else 200)
