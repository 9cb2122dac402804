"""REST API: the user's replies, and marking one read."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .access import access_reply
from .inbox import contact_names, replies_of
from .services.incoming import replies_mark_read


class ReplyOut(serializers.Serializer):
    id = serializers.IntegerField()
    # "from" is a Python keyword: the field is declared through the class namespace.
    locals()["from"] = serializers.CharField(help_text="The number that wrote, E.164")
    contact_name = serializers.CharField(
        allow_null=True, help_text="The name of the contact with this number in your books, or null"
    )
    text = serializers.CharField(help_text="As sent, any Unicode (control characters included)")
    received_at = serializers.DateTimeField()
    message = serializers.IntegerField(
        allow_null=True, help_text="The id of the SMS it answers, or null (given to you by an administrator)"
    )
    read = serializers.BooleanField()

    def to_representation(self, reply) -> dict:
        names = self.context.get("names", {})
        return {
            "id": reply.pk,
            "from": reply.from_number,
            "contact_name": names.get(reply.from_number),
            "text": reply.text,
            "received_at": serializers.DateTimeField().to_representation(reply.received_at),
            "message": reply.recipient.message_id if reply.recipient else None,
            "read": reply.read_at is not None,
        }


class RepliesPage(PageNumberPagination):
    page_size = 100


class RepliesView(generics.ListAPIView):
    serializer_class = ReplyOut
    pagination_class = RepliesPage

    def get_queryset(self):
        return replies_of(self.request.user).select_related("recipient").order_by("-received_at", "-id")

    @extend_schema(
        summary="Your replies, newest first (100 a page)",
        responses={200: ReplyOut(many=True), 404: OpenApiResponse(description="No such page (past the last one).")},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        names = contact_names(request.user, {reply.from_number for reply in page})
        return self.get_paginated_response(ReplyOut(page, many=True, context={"names": names}).data)


class ReplyReadView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Mark one of your replies read")
    def post(self, request: Request, reply_id: int) -> Response:
        reply = access_reply(request.user, reply_id)
        replies_mark_read(user=request.user, ids=[reply.pk], now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
