from django.http import HttpRequest

from .inbox import unread_count


def unread_replies(request: HttpRequest) -> dict:
    """`unread_replies` for the navigation's Replies link (one indexed count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_replies": unread_count(user)}
