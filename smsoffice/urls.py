"""The project's routes: each app's own URLconf, plus the shell's (home, probes, API docs, admin)."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from . import api_errors, health, views

urlpatterns = [
    path("", views.home, name="home"),
    # Ours first: accounts/urls.py puts the reset form with its limits before Django's.
    path("", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("credits.urls")),
    path("", include("messaging.urls")),
    path("", include("broadcasts.urls")),
    path("", include("reminders.urls")),
    path("", include("mailalerts.urls")),
    # The schema and its documentation are for users (token or session): the README lists
    # what answers without a login.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api_schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
]

# JSON errors under /api/, Django's pages elsewhere (smsoffice/api_errors.py).
handler400 = api_errors.bad_request
handler404 = api_errors.page_not_found
handler500 = api_errors.server_error
