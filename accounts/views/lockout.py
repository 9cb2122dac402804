"""The page shown to a login that django-axes has locked out (AXES_LOCKOUT_CALLABLE)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(request: HttpRequest, response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """429 with the limit and how long the pause lasts, instead of axes' one-line text."""
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": settings.AXES_COOLOFF_MINUTES}
    return render(request, "registration/locked_out.html", context, status=429)
