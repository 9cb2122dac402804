"""Mailbox passwords at rest: Fernet (AES-128-CBC + HMAC) with keys from the environment.

MAILBOX_PASSWORD_KEYS lists keys newest first: the first encrypts, all decrypt, so a
key is rotated by putting a new one in front (a password is re-encrypted when saved).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class PasswordUnreadable(Exception):
    """The stored password was encrypted with a key that is no longer configured."""


def _cipher() -> MultiFernet:
    keys = settings.MAILBOX_PASSWORD_KEYS
    if not keys:
        raise ImproperlyConfigured("MAILBOX_PASSWORD_KEYS is empty: mailbox passwords cannot be stored.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"MAILBOX_PASSWORD_KEYS holds a key that is not a Fernet key: {error}") from None


def encrypt(password: str) -> bytes:
    return _cipher().encrypt(password.encode())


def decrypt(token: bytes | memoryview) -> str:
    try:
        return _cipher().decrypt(bytes(token)).decode()
    except InvalidToken:
        raise PasswordUnreadable from None
