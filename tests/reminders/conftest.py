import datetime as dt
import zoneinfo

import pytest

from credits.models import Plan
from credits.services import account_for
from reminders.services.calendars import calendar_create
from tests.factories import UserFactory

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


@pytest.fixture
def owner(db):
    Plan.objects.get_or_create(name="Standard", defaults={"monthly_allowance": 50, "is_default": True})
    user = UserFactory(full_name="Ann Peeters", mobile="+32475123456", time_zone="Europe/Brussels")
    account_for(user=user)
    return user


@pytest.fixture
def calendar(owner):
    return calendar_create(name="Work", owner=owner)


def brussels(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRUSSELS)
