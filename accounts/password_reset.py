"""Limits on password reset emails: per address asking, per account receiving.

The reset form sends an email to whoever owns the address typed, to anyone who asks.
Without a limit one person floods a user's mailbox, or sends a reset to every account
from one place. The page answers the same neutral text whether a limit held the email
back or not (and whether the account exists), so it reveals nothing; the skipped email
is logged as a WARNING instead. Counts live in the cache (Redis in production, atomic
INCR), in windows of an hour that start at the first request; with the cache down the
email is sent (a reset must keep working) and a WARNING says the limit was not counted.
"""

import logging

from django.conf import settings
from django.core.cache import cache

from core.cache import CACHE_ERRORS

from .models import User

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60 * 60


def password_reset_allowed_from(*, address: str) -> bool:
    """Count one reset request from `address`; False once it passed PASSWORD_RESET_MAX_PER_ADDRESS this hour."""
    count = _count(key=f"password-reset:address:{address}")
    if count is not None and count > settings.PASSWORD_RESET_MAX_PER_ADDRESS:
        # The address, not the email typed: that is personal data of someone else, maybe.
        logger.warning(
            "password reset email not sent: %s asked for %d resets this hour (PASSWORD_RESET_MAX_PER_ADDRESS=%d)",
            address,
            count,
            settings.PASSWORD_RESET_MAX_PER_ADDRESS,
        )
        return False
    return True


def password_reset_allowed_to(*, user: User) -> bool:
    """Count one reset email to `user`; False once it passed PASSWORD_RESET_MAX_PER_ACCOUNT this hour."""
    count = _count(key=f"password-reset:user:{user.pk}")
    if count is not None and count > settings.PASSWORD_RESET_MAX_PER_ACCOUNT:
        logger.warning(
            "password reset email not sent: user %s was asked %d resets this hour (PASSWORD_RESET_MAX_PER_ACCOUNT=%d)",
            user.pk,
            count,
            settings.PASSWORD_RESET_MAX_PER_ACCOUNT,
        )
        return False
    return True


def _count(*, key: str) -> int | None:
    """Add one to `key`'s count for this window and return it; None when the cache is down."""
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS)  # starts the window; does nothing when it runs
        try:
            return cache.incr(key)
        except ValueError:  # the window ended between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS)
            return 1
    except CACHE_ERRORS as error:
        logger.warning("password reset limits not counted: the cache is unavailable (%s)", error)
        return None
