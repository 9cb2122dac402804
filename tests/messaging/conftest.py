import pytest

from accounts.services import PhoneEntry, address_books_ensure, contact_save
from credits.models import Plan
from credits.services import account_for, credits_grant


@pytest.fixture
def sender(user, db):
    """A user with 20 monthly credits and 10 of provision, signing "Ann"."""
    user.full_name, user.sms_signature = "Ann Peeters", "Ann"
    user.save()
    Plan.objects.get_or_create(name="Standard", defaults={"monthly_allowance": 20, "is_default": True})
    credits_grant(account=account_for(user=user), amount=10, reason="test", actor=None)
    return user


@pytest.fixture
def bob(sender):
    book = address_books_ensure(user=sender)[0]
    return contact_save(
        book=book,
        name="Bob Janssens",
        phone_entries=[PhoneEntry(label="mobile", raw="+32 486 11 22 33", e164="+32486112233")],
    )


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what would happen after commit (enqueueing dispatch; eager in tests)."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run
