import pytest
from django.db import connection

from tests.factories import PASSWORD, ContactFactory, PrivateBookFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Concurrency tests need PostgreSQL's row locks: on SQLite they are skipped, saying why."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI always does)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


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
