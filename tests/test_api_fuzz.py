"""schemathesis drives every operation of the OpenAPI schema, authenticated, through the
real Django app (WSGI, the test database): no 500, no answer outside the schema.

The operations run with a token of a user who has credit, contacts and messages, so
generated ids sometimes hit real objects and sends really reach the (locmem) gateway.
"""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accounts.services import PhoneEntry, address_books_ensure, contact_save
from credits.models import Plan
from credits.services import account_for, credits_grant
from messaging.services.accepting import message_send
from tests.factories import UserFactory


@pytest.fixture
def api_schema(db):
    # Like Django's test client: the request must not close the test's database connection
    # (it holds the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The schema is for users only (smsoffice/urls.py).
    reader = Token.objects.create(user=UserFactory()).key
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/", get_wsgi_application(), headers={"Authorization": f"Token {reader}"}
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, django_capture_on_commit_callbacks) -> str:
    Plan.objects.get_or_create(name="Standard", defaults={"monthly_allowance": 50, "is_default": True})
    user = UserFactory(full_name="Ann Peeters")
    credits_grant(account=account_for(user=user), amount=1_000, reason="fuzz", actor=None)
    book = address_books_ensure(user=user)[0]
    contact_save(book=book, name="Bob", phone_entries=[PhoneEntry(label="mobile", raw="", e164="+32486112233")])
    with django_capture_on_commit_callbacks(execute=True):
        message_send(user=user, body="Hello", to=["+32475000001"])
    return Token.objects.create(user=user).key


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_500_or_outside_its_schema(case, token):
    cache.clear()  # the per-user rate limit would answer 429 after 120 calls
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        # These two ask the schema to encode business rules ("at least one recipient",
        # "only a scheduled send can be canceled") and DRF's lenient typing ("0" for a
        # string): a clear 400 there is the intended answer, not a defect.
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
