from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from ..services import api_token_regenerate


# The page shows the token itself: no browser or proxy cache may keep a copy (no-store).
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_settings(request: HttpRequest) -> HttpResponse:
    """Settings → API: the user's token, and a button to replace it."""
    if request.method == "POST":
        had_one = Token.objects.filter(user=request.user).exists()
        api_token_regenerate(user=request.user)
        if had_one:
            messages.success(request, _("A new API token was made; the old one no longer works."))
        else:
            messages.success(request, _("Your API token is ready: copy it into the tool that will use it."))
        return redirect("api_settings")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/api_settings.html", {"token": token})
