import pytest
from celery._state import _set_task_join_will_block
from django.db import connection

from accounts.services import PhoneEntry, address_books_ensure, contact_save
from credits.models import Plan
from credits.services import account_for, credits_grant
from messaging.gateways.locmem import LocmemGateway
from tests.factories import PASSWORD, ContactFactory, PrivateBookFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Concurrency tests need PostgreSQL's row locks: on SQLite they are skipped, saying why."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI always does)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Reset Celery's "inside a task" flag after each test.

    Eager tasks (the test settings) run inside Celery's denied_join_result(), which sets
    a process-global flag and restores it after. Two eager tasks at once in two threads
    (Django's live server thread and the test's) can restore it in the wrong order and
    leave it set, and a later real `result.get()` then refuses ("Never call result.get()
    within a task"): seen once in CI after the browser tests. Production runs no eager task.
    """
    yield
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def locmem_gateway():
    """The test settings' SMS gateway, emptied around every test: `outbox`, `script`, `chunk_error`."""
    LocmemGateway.reset()
    yield LocmemGateway.of("sms")
    LocmemGateway.reset()


@pytest.fixture
def fax_gateway():
    """The test settings' fax gateway (the same locmem gateway, its fax channel)."""
    return LocmemGateway.of("fax")


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def client_for(client):
    """A Django test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def private_book(user):
    return PrivateBookFactory(owner=user)


@pytest.fixture
def contact(private_book):
    return ContactFactory(book=private_book, name="Ann Peeters")


@pytest.fixture
def password():
    return PASSWORD


# Senders for the SMS pipeline and the Messages tool.


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
