"""Logs keep WARNING for what needs a look: a form with errors and beat's ticks are routine.

The records go through the project's LOGGING (settings.base) as they do in web, worker
and beat processes; caplog's handler sits on the root logger, after the loggers' filters.
"""

import logging

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def levels(caplog, logger_name):
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == logger_name]


def test_a_form_with_errors_is_not_logged_as_a_warning(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(UserFactory())
    response = client.post("/lists/new/", {"name": ""})
    assert response.status_code == 400
    assert [level for level, _ in levels(caplog, "django.request")] == ["INFO"]


def test_a_real_error_is_still_a_warning(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(UserFactory())
    client.get("/contacts/999999/")
    assert ("WARNING", "Not Found: /contacts/999999/") in levels(caplog, "django.request")


def test_beat_ticks_are_logged_at_debug(caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("celery.beat").info("Scheduler: Sending due task %s (%s)", "messaging-sweep", "messaging.sweep")
    trace = {"id": "abc", "name": "reminders.tick", "return_value": None, "runtime": 0.01, "args": "", "kwargs": ""}
    logging.getLogger("celery.app.trace").info(
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s", trace
    )
    logging.getLogger("celery.worker.strategy").info("Task %(name)s[%(id)s] received", trace)
    assert caplog.records == [], "hidden at INFO"
    caplog.set_level(logging.DEBUG)
    logging.getLogger("celery.beat").info("Scheduler: Sending due task %s (%s)", "messaging-sweep", "messaging.sweep")
    assert [r.levelname for r in caplog.records] == ["DEBUG"]


def test_other_tasks_keep_their_info_lines(caplog):
    caplog.set_level(logging.INFO)
    trace = {"id": "abc", "name": "messaging.dispatch", "return_value": None, "runtime": 0.01}
    logging.getLogger("celery.app.trace").info(
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s", trace
    )
    assert [r.levelname for r in caplog.records] == ["INFO"]
