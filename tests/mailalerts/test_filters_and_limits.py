"""Filters (each criterion, all/any, order, stop), quiet hours with summary or drop, caps."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from mailalerts.headers import NewMail
from mailalerts.models import AlertLog, AlertStatus, MailFilter
from mailalerts.rules import filter_matches
from mailalerts.services.configure import MailAlertError, alert_settings_save, mail_filter_move, mail_filter_save
from mailalerts.services.polling import mailalerts_tick
from messaging.models import Message
from tests.fakes.dovecot import simple_message
from tests.mailalerts.conftest import connect, poll

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
MAIL = NewMail(
    uid=1,
    sender_name="Anna Smith",
    sender_address="anna@sales.example.org",
    recipients=(("Team", "team@example.com"), ("", "boss@example.com")),
    subject="Quarterly REPORT attached",
    size=300_000,
    has_attachment=True,
    important=False,
)


def a_filter(**criteria):
    return MailFilter(name="f", **criteria)


@pytest.mark.parametrize(
    ("criteria", "matches"),
    [
        ({"sender": "smith"}, True),  # contains, in the name, any case
        ({"sender": "bob"}, False),
        ({"sender_test": "is", "sender": "Anna@Sales.Example.org"}, True),
        ({"sender_test": "is", "sender": "anna@example.org"}, False),
        ({"sender_test": "domain", "sender": "example.org"}, True),  # subdomains count
        ({"sender_test": "domain", "sender": "@sales.example.org"}, True),
        ({"sender_test": "domain", "sender": "ample.org"}, False),
        ({"recipient": "boss"}, True),
        ({"recipient_test": "is", "recipient": "team@example.com"}, True),
        ({"recipient_test": "domain", "recipient": "other.com"}, False),
        ({"subject": "quarterly report"}, True),
        ({"subject": "invoice"}, False),
        ({"has_attachment": True}, True),
        ({"size_over_kb": 200}, True),
        ({"size_over_kb": 500}, False),
        ({"important": True}, False),
        ({"match": "all", "sender": "smith", "subject": "invoice"}, False),
        ({"match": "any", "sender": "smith", "subject": "invoice"}, True),
        ({"match": "any", "sender": "bob", "important": True}, False),
    ],
)
def test_each_criterion_and_all_or_any(criteria, matches):
    assert filter_matches(a_filter(**criteria), MAIL) is matches


def test_a_filter_with_no_criteria_is_refused(owner):
    with pytest.raises(MailAlertError, match="at least one criterion"):
        mail_filter_save(user=owner, name="Everything")
    assert not MailFilter.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sender_test": "domain", "sender": "not a domain!"}, "domain such as"),
        ({"sender_test": "is", "sender": "anna"}, "whole address"),
        ({"subject": "a\x00b"}, "control characters"),
        ({"subject": "x", "notify_to": "12"}, "too few digits"),
        ({"subject": "x", "notify_to": "+32 2 555 12 12"}, "mobile"),
        ({"size_over_kb": 10**9}, "size from 0"),
    ],
)
def test_bad_filter_input_is_refused_with_a_reason(owner, fields, message):
    with pytest.raises(MailAlertError, match=message) as refused:
        mail_filter_save(user=owner, name="Bad", **fields)
    assert str(refused.value)
    assert not MailFilter.objects.exists()


def test_a_hostile_pattern_is_plain_text_and_fast(owner):
    """No regular expressions: a classic catastrophic pattern is just characters to look for."""
    hostile = mail_filter_save(user=owner, name="ReDoS", subject="(a+)+$")
    mail = NewMail(1, "", "x@y.z", (), "a" * 5000 + "!", 1, False, False)
    started = dt.datetime.now()
    assert filter_matches(hostile, mail) is False
    assert dt.datetime.now() - started < dt.timedelta(seconds=1)


def test_filters_alone_alert_only_for_matching_mail_in_order_and_stop(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account, notify_all=False)
    mail_filter_save(user=owner, name="Boss", sender_test="is", sender="boss@example.com", stop=True)
    mail_filter_save(user=owner, name="Urgent", subject="urgent", notify_to="0476 11 22 33")
    mail_filter_save(user=owner, name="Big", size_over_kb=1)
    dovecot.append(imap_account[0], simple_message(sender="Boss <boss@example.com>", subject="urgent: call me"))
    dovecot.append(imap_account[0], simple_message(sender="Bob <bob@example.com>", subject="Urgent too"))
    dovecot.append(imap_account[0], simple_message(sender="Eve <eve@example.com>", subject="Lunch?"))
    poll(mailbox)

    sent = list(Message.objects.filter(user=owner).order_by("pk").values_list("text", "recipients__to"))
    assert sent == [
        ("[Boss] Mail from Boss: urgent: call me", "+32475123456"),  # Boss stops: Urgent does not run
        ("[Urgent] Mail from Bob: Urgent too", "+32476112233"),  # to the filter's own number
    ]
    skipped = AlertLog.objects.get(subject="Lunch?")
    assert (skipped.status, skipped.reason) == (AlertStatus.SKIPPED, "no filter matched")

    # Moving "Urgent" above "Boss" changes which runs first for the boss's mail.
    urgent = MailFilter.objects.get(name="Urgent")
    mail_filter_move(mail_filter=urgent, up=True)
    assert list(MailFilter.objects.filter(user=owner).values_list("name", flat=True)) == ["Urgent", "Boss", "Big"]
    dovecot.append(imap_account[0], simple_message(sender="Boss <boss@example.com>", subject="urgent again"))
    poll(mailbox)
    texts = set(Message.objects.filter(user=owner).order_by("pk").values_list("text", flat=True)[2:])
    assert texts == {"[Urgent] Mail from Boss: urgent again", "[Boss] Mail from Boss: urgent again"}


def test_all_mail_and_a_filter_to_the_same_number_give_one_sms(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account, notify_all=True)
    mail_filter_save(user=owner, name="Anna", sender="anna")
    dovecot.append(imap_account[0], simple_message())
    poll(mailbox)
    assert Message.objects.filter(user=owner).count() == 1


def local(*args):
    return dt.datetime(*args, tzinfo=BRUSSELS)


def poll_at(mailbox, moment):
    with time_machine.travel(moment, tick=False):
        return poll(mailbox, now=moment)


def test_quiet_hours_hold_mail_and_sum_it_up_in_one_sms_when_they_end(owner, dovecot, imap_account):
    alert_settings_save(user=owner, quiet_start=dt.time(22), quiet_end=dt.time(7), quiet_mode="summary")
    mailbox = connect(owner, dovecot, imap_account)
    for n in range(3):
        dovecot.append(imap_account[0], simple_message(subject=f"Night {n}"))
    poll_at(mailbox, local(2026, 11, 26, 23, 30))
    assert Message.objects.filter(user=owner).count() == 0
    assert AlertLog.objects.filter(status=AlertStatus.HELD).count() == 3

    with time_machine.travel(local(2026, 11, 27, 6, 59), tick=False):
        assert mailalerts_tick(now=local(2026, 11, 27, 6, 59))["summaries"] == 0
    with time_machine.travel(local(2026, 11, 27, 7, 0), tick=False):
        assert mailalerts_tick(now=local(2026, 11, 27, 7, 0))["summaries"] == 1
        assert mailalerts_tick(now=local(2026, 11, 27, 7, 0, 15))["summaries"] == 0  # once
    assert list(Message.objects.filter(user=owner).values_list("text", flat=True)) == [
        "Quiet hours: 3 new emails. Last: Anna Smith: Night 2"
    ]
    assert AlertLog.objects.filter(status=AlertStatus.SUMMARIZED).count() == 3

    dovecot.append(imap_account[0], simple_message(subject="Morning"))
    poll_at(mailbox, local(2026, 11, 27, 8, 0))
    assert Message.objects.filter(user=owner).count() == 2


def test_quiet_hours_can_drop_alerts(owner, dovecot, imap_account):
    alert_settings_save(user=owner, quiet_start=dt.time(12), quiet_end=dt.time(14), quiet_mode="drop")
    mailbox = connect(owner, dovecot, imap_account)
    dovecot.append(imap_account[0], simple_message(subject="Lunchtime"))
    poll_at(mailbox, local(2026, 11, 26, 13, 0))
    with time_machine.travel(local(2026, 11, 26, 15, 0), tick=False):
        assert mailalerts_tick(now=local(2026, 11, 26, 15, 0))["summaries"] == 0
    assert Message.objects.filter(user=owner).count() == 0
    log = AlertLog.objects.get(user=owner)
    assert (log.status, log.reason) == (AlertStatus.SKIPPED, "quiet hours")


def test_caps_per_hour_and_per_day_stop_a_mail_storm(owner, dovecot, imap_account):
    alert_settings_save(user=owner, quiet_start=None, quiet_end=None, max_per_hour=3, max_per_day=5)
    mailbox = connect(owner, dovecot, imap_account)
    dovecot.append_many(imap_account[0], [simple_message(subject=f"Storm {n}") for n in range(10)])
    poll_at(mailbox, local(2026, 11, 26, 10, 0))
    assert Message.objects.filter(user=owner).count() == 3
    capped = AlertLog.objects.filter(status=AlertStatus.SKIPPED)
    assert capped.count() == 7 and set(capped.values_list("reason", flat=True)) == {
        "the cap of 3 alert SMS per hour is reached"
    }

    dovecot.append_many(imap_account[0], [simple_message(subject=f"Later {n}") for n in range(4)])
    poll_at(mailbox, local(2026, 11, 26, 11, 5))  # a new hour, but only 2 left today
    assert Message.objects.filter(user=owner).count() == 5
    assert AlertLog.objects.filter(reason="the cap of 5 alert SMS per day is reached").count() == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quiet_start": dt.time(22), "quiet_end": None}, "both the start and the end"),
        ({"quiet_start": dt.time(22), "quiet_end": dt.time(22)}, "another time"),
        ({"quiet_start": None, "quiet_end": None, "max_per_hour": 0}, "from 1"),
        ({"quiet_start": None, "quiet_end": None, "max_per_hour": 20, "max_per_day": 10}, "above the cap per day"),
    ],
)
def test_bad_quiet_hours_and_caps_are_refused(owner, fields, message):
    with pytest.raises(MailAlertError, match=message):
        alert_settings_save(user=owner, **fields)


# The SMS text: its 160 characters go to the subject first ------------------------------------

SUBJECT_114 = (
    "Budget 2027: the figures for every department, with the changes we agreed on Tuesday and the open ones this spring"
)
SUBJECT_150 = SUBJECT_114 + " for the board meeting in March, room 4"


def test_a_long_filter_name_is_cut_at_a_word_before_the_subject_is_cut():
    from dataclasses import replace

    from mailalerts.rules import alert_text

    assert len(SUBJECT_114) > 100
    text = alert_text(replace(MAIL, subject=SUBJECT_114), "Invoices from example.org")
    assert text == f"[Invoices from] Mail from Anna Smith: {SUBJECT_114}"


def test_the_filter_name_is_left_out_before_the_subject_is_cut():
    from dataclasses import replace

    from mailalerts.rules import alert_text
    from messaging import segments

    text = alert_text(replace(MAIL, subject=SUBJECT_150), "Invoices from example.org")
    assert text.startswith("Mail from Anna Smith: Budget 2027") and text.endswith("...")
    assert segments.count(text).segments == 1 and len(text) > 150


def test_a_short_subject_keeps_the_whole_filter_name():
    from mailalerts.rules import alert_text

    assert alert_text(MAIL, "Invoices from example.org") == (
        "[Invoices from example.org] Mail from Anna Smith: Quarterly REPORT attached"
    )


def test_the_user_chooses_to_start_the_sms_with_the_mailbox_name(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account, name="Work", name_in_sms=True)
    dovecot.append(imap_account[0], simple_message(subject="Budget 2027"))
    poll(mailbox)
    assert list(Message.objects.filter(user=owner).values_list("text", flat=True)) == [
        "[Work] Mail from Anna Smith: Budget 2027"
    ]


def test_held_alerts_say_so_once(owner, dovecot, imap_account):
    alert_settings_save(user=owner, quiet_start=dt.time(0, 0), quiet_end=dt.time(23, 59))
    mailbox = connect(owner, dovecot, imap_account)
    dovecot.append(imap_account[0], simple_message(subject="Late"))
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, 0, tzinfo=BRUSSELS), tick=False):
        poll(mailbox, now=dt.datetime(2026, 6, 1, 12, 0, tzinfo=BRUSSELS))
    held = AlertLog.objects.get()
    assert held.status == AlertStatus.HELD and held.reason == ""
