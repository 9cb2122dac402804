from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import access_contact
from accounts.phones import PhoneNumberError, parse_number


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    """The SMS composer's entry point, reached from a contact's mobile number.

    Until the composer lands (its own issue), this page shows the recipient the
    composer will be opened with, normalised and checked as it will be on send.
    """
    typed = request.GET.get("to", "")
    contact_id = request.GET.get("contact", "")
    contact = access_contact(request.user, contact_id) if contact_id.isdigit() else None
    recipient, error = None, ""
    if typed:
        try:
            recipient = parse_number(typed, default_region=request.user.default_country or None, require_mobile=True)
        except PhoneNumberError as exc:
            error = str(exc)
    context = {"typed": typed, "recipient": recipient, "contact": contact, "error": error}
    return render(request, "messaging/compose.html", context, status=400 if error else 200)
