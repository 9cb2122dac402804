from django.shortcuts import get_object_or_404

from accounts.models import User

from .models import Broadcast


def access_broadcast(user: User, broadcast_id: int) -> Broadcast:
    """The user's own Messages tool message, or 404."""
    return get_object_or_404(Broadcast.objects.filter(user=user), pk=broadcast_id)
