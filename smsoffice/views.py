from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from credits.selectors import quota_summary
from credits.services import account_for
from messaging.selectors import messages_recent
from reminders.selectors import agenda_enabled, reminders_next


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where the user stands: credit to send now, the last SMS, the next reminders and the agenda; then the tools."""
    user = request.user
    context = {
        "credit": quota_summary(account=account_for(user=user)),
        "recent": messages_recent(user=user),
        "reminders": reminders_next(user=user),
        "agenda": agenda_enabled(user=user),
    }
    return render(request, "home.html", context)
