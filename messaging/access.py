from django.shortcuts import get_object_or_404

from accounts.models import User

from .models import IncomingSMS, Message, MessageTemplate
from .selectors import message_templates_visible


def access_message(user: User, message_id: int) -> Message:
    """The user's own message, or 404: another user's message does not exist for them."""
    return get_object_or_404(Message.objects.filter(user=user), pk=message_id)


def access_reply(user: User, reply_id: int) -> IncomingSMS:
    """One of the user's replies, or 404 (another user's, or one nobody was given yet)."""
    return get_object_or_404(IncomingSMS.objects.filter(user=user, kind=IncomingSMS.Kind.REPLY), pk=reply_id)


def access_message_template(user: User, template_id: int) -> MessageTemplate:
    """A template the user may start from (their own, or shared with one of their groups), or 404."""
    return get_object_or_404(message_templates_visible(user=user), pk=template_id)
