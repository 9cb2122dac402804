from django.urls import path

from . import api, views

urlpatterns = [
    path("settings/credit/", views.credit_page, name="credit"),
    path("settings/quotas/", views.quotas_page, name="quotas"),
    path("settings/credit/history/", views.ledger_page, name="ledger"),
    path("api/v1/credits/", api.CreditsView.as_view(), name="api_credits"),
]
