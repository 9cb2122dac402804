from django.shortcuts import get_object_or_404

from accounts.models import User

from .models import Message


def access_message(user: User, message_id: int) -> Message:
    """The user's own message, or 404: another user's message does not exist for them."""
    return get_object_or_404(Message.objects.filter(user=user), pk=message_id)
