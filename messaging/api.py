"""REST API: send SMS, follow a send, cancel a scheduled one, count segments."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from credits.services import InsufficientCredit, MemberLimitReached

from . import segments
from .access import access_message
from .models import Message
from .selectors import MessageState, message_with_state
from .services.accepting import message_cancel, message_send
from .services.planning import SendRefused

MAX_BODY = 20_000  # characters accepted before the service counts parts (10 parts is at most 1,530)
MAX_INPUTS = 50_000


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must say its zone (an offset or Z).

    A time without one would be read in the request's current zone: the user's with a
    session (the middleware activates it), UTC with a token (authenticated after the
    middleware ran), so the same request would schedule at two different instants. A
    program calling the API states the zone; the composer page reads its datetime-local
    field in the user's zone itself (composer.send_at_from_local)."""

    default_error_messages = {
        "naive": _("Give the time with its time zone: 2026-12-24T09:30:00+01:00, or 2026-12-24T08:30:00Z in UTC.")
    }

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class SendSerializer(serializers.Serializer):
    to = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=MAX_INPUTS
    )
    contacts = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=MAX_INPUTS
    )
    lists = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=1_000
    )
    body = serializers.CharField(
        max_length=MAX_BODY,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The text; placeholders {first_name}, {last_name}, {name}, {organisation} take the contact's "
        "values, with a fallback written in place: {first_name|there}. Typed numbers have only fallbacks.",
    )
    signature = serializers.BooleanField(required=False, default=True)
    smart_encoding = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Replace look-alike characters (typographic quotes, dashes, ellipsis, Unicode spaces...) so "
        "that the text stays GSM-7; letters such as ê and emoji are kept.",
    )
    sender = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        max_length=40,  # longer than 11 is refused by the service, with the reason
        help_text='An approved sender ID of yours or your organisation\'s ("ACME"): recipients see it instead of '
        "the number and cannot reply. Recipients in countries that refuse names (the United States and Canada "
        "by default) get the SMS from the number: see each recipient's `sender`. Absent or empty: the number.",
    )
    send_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When to send (ISO 8601 with its zone: `2026-12-24T09:30:00+01:00` or `...Z`); "
        "a time without a zone is refused. Absent or null: now.",
    )


class RecipientOut(serializers.Serializer):
    to = serializers.CharField(help_text="E.164 (empty for a skipped contact with no readable number)")
    status = serializers.CharField(
        help_text="queued, submitting, accepted, delivered, undelivered, expired, failed, canceled, unknown, or "
        "skipped: a List member whose number cannot take SMS, or a number on the opt-out list (reason "
        '"opted out"), not sent and holding no credit'
    )
    reason = serializers.CharField(source="error_reason")
    parts = serializers.IntegerField(help_text="Parts (credits) this recipient's text takes; 0 when skipped")
    sender = serializers.CharField(
        help_text="The sender ID it is sent from; empty: the number (the only sender a recipient can reply to)"
    )
    text = serializers.SerializerMethodField(help_text="The text sent to this recipient (placeholders filled in)")

    def get_text(self, recipient) -> str:
        return recipient.text or self.context["message_text"]


class MessageOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=MessageState.values,
        help_text="Derived from the recipients, as on the Sent SMS page: scheduled, sending, sent (all accepted "
        "by the SMS centre), delivered, partly_failed, failed, canceled.",
    )
    encoding = serializers.CharField()
    segments = serializers.IntegerField(help_text="Parts of the text; with placeholders, of the longest one")
    credits_held = serializers.IntegerField(help_text="The sum of each recipient's parts")
    sender = serializers.CharField(help_text="The sender ID picked; empty: the number")
    send_at = serializers.DateTimeField(allow_null=True)
    recipients = RecipientOut(many=True)


class ProblemOut(serializers.Serializer):
    field = serializers.CharField()
    input = serializers.CharField(source="value")
    reason = serializers.CharField()


REFUSED = inline_serializer("SendRefused", {"detail": serializers.CharField(), "errors": ProblemOut(many=True)})
SHORT = inline_serializer(
    "CreditShort",
    {
        "detail": serializers.CharField(),
        "needed": serializers.IntegerField(),
        "available": serializers.IntegerField(),
        "limit": serializers.ChoiceField(
            choices=["member"], required=False, help_text="Present when the organisation's limit for you refused it."
        ),
    },
)


def message_body(message: Message) -> dict:
    message = message_with_state(message=message)
    return MessageOut(
        {
            **{f: getattr(message, f) for f in ("id", "encoding", "segments", "credits_held", "send_at", "sender")},
            "status": message.state,
            "recipients": message.recipients.order_by("id"),
        },
        context={"message_text": message.text},
    ).data


class MessagesView(APIView):
    @extend_schema(
        request=SendSerializer,
        responses={202: MessageOut, 400: REFUSED, 402: SHORT},
        summary="Send an SMS to numbers, contacts and Lists (now, or at send_at)",
    )
    def post(self, request: Request) -> Response:
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)  # a 400 of problems (smsoffice/api_errors.py)
        values = data.validated_data
        try:
            message = message_send(
                user=request.user,
                body=values["body"],
                to=values["to"],
                contact_ids=values["contacts"],
                list_ids=values["lists"],
                with_signature=values["signature"],
                smart_encoding=values["smart_encoding"],
                with_placeholders=True,
                send_at=values["send_at"],
                sender=values["sender"],
            )
        except SendRefused as refused:
            return Response(
                {"detail": str(refused), "errors": ProblemOut(refused.problems, many=True).data},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except InsufficientCredit as short:
            body = {"detail": str(short), "needed": short.needed, "available": short.available}
            if isinstance(short, MemberLimitReached):
                body["limit"] = "member"  # the organisation's limit for this member, not the pool
            return Response(body, status=status.HTTP_402_PAYMENT_REQUIRED)
        return Response(message_body(message), status=status.HTTP_202_ACCEPTED)


class MessageView(APIView):
    @extend_schema(responses=MessageOut, summary="A send and each recipient's state")
    def get(self, request: Request, message_id: int) -> Response:
        return Response(message_body(access_message(request.user, message_id)))

    @extend_schema(responses={204: None, 400: REFUSED}, summary="Cancel a scheduled send (its credit comes back)")
    def delete(self, request: Request, message_id: int) -> Response:
        message = access_message(request.user, message_id)
        try:
            message_cancel(message=message)
        except SendRefused as refused:
            return Response(
                {"detail": str(refused), "errors": ProblemOut(refused.problems, many=True).data},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentsIn(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY, allow_blank=True, trim_whitespace=False)


class SegmentsOut(serializers.Serializer):
    encoding = serializers.ChoiceField(choices=[segments.GSM7, segments.UCS2])
    length = serializers.IntegerField(help_text="Septets for GSM-7, UTF-16 code units for UCS-2.")
    segments = serializers.IntegerField()
    ucs2_characters = serializers.ListField(child=serializers.CharField())


class SegmentsView(APIView):
    @extend_schema(
        request=SegmentsIn,
        responses={200: SegmentsOut, 400: REFUSED},
        summary="Count the parts of exactly this text",
    )
    def post(self, request: Request) -> Response:
        data = SegmentsIn(data=request.data)
        data.is_valid(raise_exception=True)  # a 400 of problems (smsoffice/api_errors.py)
        info = segments.count(data.validated_data["body"])
        return Response(
            SegmentsOut(
                {
                    "encoding": info.encoding,
                    "length": info.length,
                    "segments": info.segments,
                    "ucs2_characters": list(info.ucs2_characters),
                }
            ).data
        )
