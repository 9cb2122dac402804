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


class PayerSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["organisation", "personal"])
    name = serializers.CharField(required=False, help_text="The organisation's name (kind organisation only).")


class MemberSerializer(serializers.Serializer):
    limit = serializers.IntegerField(allow_null=True, help_text="Credits this member may use a period; null: none.")
    used = serializers.IntegerField(help_text="Held or spent this period (what came back deducted).")
    remaining = serializers.IntegerField(allow_null=True)


class CreditsSerializer(serializers.Serializer):
    payer = PayerSerializer(help_text="Who pays this user's SMS: their organisation's pool or their own account.")
    member = MemberSerializer(allow_null=True, help_text="For a member of an organisation: their monthly limit.")
    monthly = MonthlySerializer()
    provision = ProvisionSerializer()
    total_available = serializers.IntegerField(help_text="Credits a new send may hold now (monthly + provision).")


class CreditsView(APIView):
    @extend_schema(responses=CreditsSerializer, summary="The SMS credit that pays for the user's sends")
    def get(self, request: Request) -> Response:
        account = account_for(user=request.user)
        if period_rollover(account=account):
            account.refresh_from_db()
        summary = selectors.quota_summary(account=account)
        standing = selectors.member_standing(user=request.user, account=account)
        data = {
            "payer": {"kind": "organisation", "name": account.organisation.name}
            if account.organisation_id
            else {"kind": "personal"},
            "member": {"limit": standing.limit, "used": standing.used, "remaining": standing.remaining}
            if standing
            else None,
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
