"""REST API for credit: what a user may still send, by bucket."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .services import account_for, period_rollover


class MonthlySerializer(serializers.Serializer):
    allowance = serializers.IntegerField()
    used = serializers.IntegerField()
    held = serializers.IntegerField()
    remaining = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="The last day of the period (inclusive).")


class ProvisionSerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    held = serializers.IntegerField()


class CreditsSerializer(serializers.Serializer):
    monthly = MonthlySerializer()
    provision = ProvisionSerializer()
    total_available = serializers.IntegerField(help_text="Credits a new send may hold now (monthly + provision).")


class CreditsView(APIView):
    @extend_schema(responses=CreditsSerializer, summary="The user's SMS credit")
    def get(self, request: Request) -> Response:
        account = account_for(user=request.user)
        if period_rollover(account=account):
            account.refresh_from_db()
        summary = selectors.quota_summary(account=account)
        data = {
            "monthly": {
                "allowance": summary.allowance,
                "used": summary.used,
                "held": summary.held,
                "remaining": summary.remaining,
                "period_start": summary.period_start,
                "period_end": summary.period_last_day,
            },
            "provision": {"balance": summary.provision_balance, "held": summary.provision_held},
            "total_available": summary.total_available,
        }
        return Response(CreditsSerializer(data).data)
