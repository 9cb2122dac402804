"""Rules that never occur, or rarely, cost bounded work: refused at save and import, and
pages, ticks and imports never search further than the window they need."""

import datetime as dt
import time

from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reminders.models import Event
from reminders.services.calendars import calendar_create, reminder_add, reminders_tick
from tests.factories import GroupFactory, UserFactory
from tests.reminders.conftest import brussels
from tests.reminders.test_pages import ICS, event_form, upload

PAGE_BUDGET = 0.2  # seconds: what a calendar page may take, whatever rule it shows
NEVER = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31"  # 31 February


def timed_get(client, url, **params):
    """The response and the shorter of two runs' time: the first run of a page in a process
    also compiles its templates, which is not what is measured here."""
    times = []
    for _run in range(2):
        began = time.perf_counter()
        response = client.get(url, params)
        times.append(time.perf_counter() - began)
    return response, min(times)


def ics_with_rule(rule: str) -> str:
    return ICS.replace("RRULE:FREQ=WEEKLY;COUNT=5", f"RRULE:{rule}")


def test_pages_stay_fast_with_six_never_occurring_rules_in_a_shared_calendar(owner, client):
    # As the probe left them: stored before rules were checked for occurrences.
    team = GroupFactory(name="Sales")
    owner.groups.add(team)
    shared = calendar_create(name="Sales", group=team)
    for number in range(6):
        Event.objects.create(
            calendar=shared,
            title=f"Never {number}",
            time_zone="Europe/Brussels",
            start=brussels(2026, 3, 2, 9),
            end=brussels(2026, 3, 2, 10),
            rrule=NEVER + (";COUNT=1" if number % 2 else ""),
        )
    member = UserFactory(time_zone="Europe/Brussels")
    member.groups.add(team)
    client.force_login(member)
    for name in ("calendar_upcoming", "calendar_week", "calendar_month"):
        response, took = timed_get(client, reverse(name), date="2026-03-04")
        assert response.status_code == 200
        assert took < PAGE_BUDGET, f"{name} took {took:.2f} s"


def test_a_rule_that_never_occurs_is_refused_at_import_with_the_reason(client, owner, calendar):
    client.force_login(owner)
    for rule in (NEVER, NEVER + ";COUNT=1"):
        began = time.perf_counter()
        response = upload(client, calendar, ics_with_rule(rule))
        took = time.perf_counter() - began
        assert response.status_code == 400, rule
        page = response.content.decode()
        assert "Event 1 (“Team meeting”)" in page and "never happens" in page, page
        assert took < 1, f"{rule}: {took:.2f} s"
    assert not Event.objects.exists()


def test_a_rule_that_never_occurs_is_refused_in_the_event_form(client, owner, calendar):
    client.force_login(owner)
    # Weekly on Tuesdays, from Monday 4 March until that same Monday: no date at all.
    response = client.post(
        reverse("event_new"), event_form(calendar, repeat="WEEKLY", weekdays=["TU"], until="2030-03-04")
    )
    assert response.status_code == 400 and "never happens" in response.content.decode()
    assert not Event.objects.exists()


def test_a_counted_rule_too_rare_to_expand_is_refused(client, owner, calendar):
    client.force_login(owner)
    # 29 February on a Monday comes every 28 years or so: 3 of them span 56 years and more.
    response = upload(client, calendar, ics_with_rule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;COUNT=50"))
    assert response.status_code == 400 and "repeat fewer times" in response.content.decode()
    assert not Event.objects.exists()


def test_the_reminder_tick_stays_fast_on_a_stored_rule_that_never_occurs(owner, calendar):
    event = Event.objects.create(
        calendar=calendar,
        title="Never",
        time_zone="Europe/Brussels",
        start=brussels(2026, 3, 2, 9),
        end=brussels(2026, 3, 2, 10),
        rrule=NEVER,
    )
    began = time.perf_counter()
    reminder = reminder_add(event=event, user=owner, minutes_before=15, now=brussels(2026, 3, 1))
    reminders_tick(now=brussels(2026, 3, 1, 0, 1))
    assert time.perf_counter() - began < 0.5
    assert reminder.next_fire_at is None  # nothing to remind of


WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
parts = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])},
    optional={
        "INTERVAL": st.one_of(st.integers(1, 12), st.integers(1, 1000)).map(str),
        "COUNT": st.one_of(st.integers(1, 10), st.integers(1, 5000)).map(str),
        "UNTIL": st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31)).map(lambda d: d.strftime("%Y%m%dT235959Z")),
        "BYMONTH": st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True),
        "BYMONTHDAY": st.lists(st.integers(-31, 31).filter(bool), min_size=1, max_size=3, unique=True),
        "BYYEARDAY": st.lists(st.integers(-366, 366).filter(bool), min_size=1, max_size=2, unique=True),
        "BYWEEKNO": st.lists(st.integers(-53, 53).filter(bool), min_size=1, max_size=2, unique=True),
        "BYDAY": st.lists(
            st.tuples(st.sampled_from(["", "1", "2", "-1", "5", "6", "53", "-53"]), st.sampled_from(WEEKDAYS)).map(
                "".join
            ),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        "WKST": st.sampled_from(WEEKDAYS),
    },
)


def as_rule(chosen: dict) -> str:
    if "COUNT" in chosen and "UNTIL" in chosen:
        del chosen["UNTIL"]
    return ";".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in chosen.items())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rule=parts.map(as_rule),
    start=st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 30)),
    viewed=st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 30)),
)
def test_any_rule_the_importer_accepts_renders_every_calendar_page_quickly(
    client, owner, calendar, rule, start, viewed
):
    Event.objects.all().delete()
    client.force_login(owner)
    text = (
        ics_with_rule(rule)
        .replace("20300304T090000", start.strftime("%Y%m%dT090000"))
        .replace("20300304T100000", start.strftime("%Y%m%dT100000"))
    )
    began = time.perf_counter()
    response = upload(client, calendar, text)
    assert time.perf_counter() - began < 1, rule
    assert response.status_code in (302, 400), rule
    assume(response.status_code == 302)
    # A rule that ends before its start never happens: the import leaves it out and says so.
    event = Event.objects.filter(uid="weekly-1@test").first()
    assume(event is not None)
    for name, date in (
        ("calendar_upcoming", None),
        ("calendar_day", viewed),
        ("calendar_week", viewed),
        ("calendar_month", viewed),
        ("calendar_month", start),
    ):
        page, took = timed_get(client, reverse(name), **({"date": date.isoformat()} if date else {}))
        assert page.status_code == 200 and took < PAGE_BUDGET, f"{rule} from {start}, {name} {date}: {took:.2f} s"
    for name in ("event_detail", "event_edit"):  # they do not expand the rule: they open
        assert client.get(reverse(name, args=[event.pk])).status_code == 200
