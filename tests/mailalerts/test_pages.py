"""The mail alerts pages through Django's client, against the real Dovecot."""

import pytest
from django.urls import reverse

from mailalerts.models import AlertLog, Mailbox, MailFilter
from tests.fakes.dovecot import simple_message
from tests.mailalerts.conftest import connect, poll


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner)
    return client


def mailbox_form(dovecot, account, **changes):
    return {
        "name": "Work",
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "starttls",
        "username": account[0],
        "password": account[1],
        "folder": "INBOX",
        "notify_all": "on",
        "active": "on",
        **changes,
    }


def test_connecting_a_mailbox_tests_it_and_never_shows_the_password_back(logged_in, owner, dovecot, imap_account):
    response = logged_in.post(reverse("mailalerts_mailbox_new"), mailbox_form(dovecot, imap_account), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Connected to “Work”" in page and imap_account[0] in page
    mailbox = Mailbox.objects.get(user=owner)
    edit = logged_in.get(reverse("mailalerts_mailbox_edit", args=[mailbox.pk])).content.decode()
    assert imap_account[1] not in page + edit
    assert 'type="password"' in edit


def test_a_wrong_password_shows_the_servers_message_and_saves_nothing(logged_in, dovecot, imap_account):
    form = mailbox_form(dovecot, imap_account, password="wrong")
    response = logged_in.post(reverse("mailalerts_mailbox_new"), form)
    assert response.status_code == 400
    assert "The server refused the login: [AUTHENTICATIONFAILED] Authentication failed." in response.content.decode()
    assert not Mailbox.objects.exists()


def test_bad_mailbox_fields_are_named(logged_in, dovecot, imap_account):
    response = logged_in.post(
        reverse("mailalerts_mailbox_new"), mailbox_form(dovecot, imap_account, host="not a host!", port="99999")
    )
    assert response.status_code == 400
    assert not Mailbox.objects.exists()


def test_test_connection_reports_a_failure_in_words(logged_in, owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    Mailbox.objects.filter(pk=mailbox.pk).update(folder="Gone")
    page = logged_in.post(reverse("mailalerts_mailbox_test", args=[mailbox.pk]), follow=True).content.decode()
    assert "“Work”: The folder “Gone” cannot be opened" in page


def test_a_filter_with_no_criteria_is_refused_on_the_page(logged_in):
    response = logged_in.post(reverse("mailalerts_filter_new"), {"name": "All", "match": "all", "active": "on"})
    assert response.status_code == 400
    assert "Give at least one criterion" in response.content.decode()
    assert not MailFilter.objects.exists()


def test_filters_are_created_ordered_and_shown(logged_in, owner):
    for name, subject in (("First", "a"), ("Second", "b")):
        response = logged_in.post(
            reverse("mailalerts_filter_new"),
            {"name": name, "match": "all", "subject": subject, "notify_to": "0476 11 22 33", "active": "on"},
        )
        assert response.status_code == 302
    second = MailFilter.objects.get(name="Second")
    assert second.notify_to == "+32476112233"
    logged_in.post(reverse("mailalerts_filter_move", args=[second.pk]), {"direction": "up"})
    page = logged_in.get(reverse("mailalerts_index")).content.decode()
    listed = page[page.index('data-testid="filters"') :]
    assert listed.index("Second") < listed.index("First")


def test_quiet_hours_and_caps_are_saved_and_shown(logged_in):
    form = {"quiet_start": "22:00", "quiet_end": "07:00", "quiet_mode": "drop", "max_per_hour": 5, "max_per_day": 20}
    assert logged_in.post(reverse("mailalerts_settings"), form).status_code == 302
    page = logged_in.get(reverse("mailalerts_index")).content.decode()
    assert "No alert SMS from 22:00 to 07:00" in page and "At most 5 alert SMS an hour and 20 a day" in page
    bad = logged_in.post(reverse("mailalerts_settings"), {**form, "quiet_end": ""})
    assert bad.status_code == 400 and "Give both the start and the end" in bad.content.decode()


def test_the_log_shows_sent_and_skipped_alerts_with_the_reason(logged_in, owner, dovecot, imap_account):
    from mailalerts.services.configure import alert_settings_save

    alert_settings_save(user=owner, quiet_start=None, quiet_end=None, max_per_hour=1, max_per_day=10)
    mailbox = connect(owner, dovecot, imap_account)
    dovecot.append_many(imap_account[0], [simple_message(subject="One"), simple_message(subject="Two")])
    poll(mailbox)
    assert AlertLog.objects.count() == 2
    page = logged_in.get(reverse("mailalerts_log")).content.decode()
    assert "Anna Smith: One" in page and "SMS sent" in page
    assert "Anna Smith: Two" in page and "the cap of 1 alert SMS per hour is reached" in page
    assert "see the SMS" in page


# The connect form helps -------------------------------------------------------------------------


def field_group(page: str, name: str) -> str:
    """The HTML from a field's label to the next field's label."""
    start = page.index(f'for="id_{name}"')
    end = page.find("<label", start + 1)
    return page[start : end if end > 0 else len(page)]


def test_connection_errors_are_shown_next_to_their_field(logged_in, dovecot, imap_account):
    page = logged_in.post(
        reverse("mailalerts_mailbox_new"), mailbox_form(dovecot, imap_account, password="wrong")
    ).content.decode()
    password = field_group(page, "password")
    assert "The server refused the login" in password and 'aria-invalid="true"' in password
    folder = logged_in.post(
        reverse("mailalerts_mailbox_new"), mailbox_form(dovecot, imap_account, folder="Nope")
    ).content.decode()
    assert "“Nope” cannot be opened" in field_group(folder, "folder")


def test_a_port_that_does_not_match_the_security_is_refused_on_the_page(logged_in, dovecot, imap_account):
    response = logged_in.post(reverse("mailalerts_mailbox_new"), mailbox_form(dovecot, imap_account, port="993"))
    assert response.status_code == 400
    assert "Port 993 is for TLS" in field_group(response.content.decode(), "port")
    assert not Mailbox.objects.exists()


def test_the_form_sets_the_usual_port_for_the_security_chosen(logged_in):
    page = logged_in.get(reverse("mailalerts_mailbox_new")).content.decode()
    assert 'data-usual-port="993"' in page and 'data-usual-port="143"' in page
    assert "mailalerts/mailbox_form.js" in page


def test_the_pages_state_the_real_check_interval_and_checked_just_now(
    logged_in, owner, dovecot, imap_account, settings
):
    settings.MAILALERTS_POLL_INTERVAL = 20
    response = logged_in.post(reverse("mailalerts_mailbox_new"), mailbox_form(dovecot, imap_account), follow=True)
    page = response.content.decode()
    assert "every minute" not in page
    assert "checked every 20 to 35 seconds" in page
    poll(Mailbox.objects.get())
    page = logged_in.get(reverse("mailalerts_index")).content.decode()
    assert "checked just now" in page and "0 minutes" not in page


# Problems are visible ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["mailalerts_index", "mailalerts_mailbox_new", "mailalerts_filter_new", "mailalerts_settings", "mailalerts_log"],
)
def test_no_mobile_number_is_a_warning_banner_on_every_mail_alerts_page(logged_in, owner, url):
    owner.mobile = ""
    owner.save()
    page = logged_in.get(reverse(url)).content.decode()
    banner = page[page.index('data-testid="needs-mobile"') - 60 :][:400]
    assert 'class="banner"' in banner and "Alerts are sent to your mobile number" in banner


def test_turning_alerts_on_without_a_mobile_number_warns(logged_in, owner, dovecot, imap_account):
    owner.mobile = ""
    owner.save()
    page = logged_in.post(
        reverse("mailalerts_mailbox_new"), mailbox_form(dovecot, imap_account), follow=True
    ).content.decode()
    assert "no SMS can be sent until you add your mobile number" in page


def test_a_failing_mailbox_is_a_banner_on_the_overview(logged_in, owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    Mailbox.objects.filter(pk=mailbox.pk).update(folder="Gone")
    poll(mailbox)
    page = logged_in.get(reverse("mailalerts_index")).content.decode()
    banner = page[page.index('data-testid="failing"') - 60 :][:600]
    assert 'class="banner"' in banner and "“Work” cannot be read" in banner and "“Gone” cannot be opened" in banner


def test_a_cap_already_reached_when_saved_says_so(logged_in, owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    dovecot.append_many(imap_account[0], [simple_message(subject="One"), simple_message(subject="Two")])
    poll(mailbox)
    form = {"quiet_mode": "summary", "max_per_hour": 2, "max_per_day": 50}
    page = logged_in.post(reverse("mailalerts_settings"), form, follow=True).content.decode()
    assert "already reached" in page and "2 alert SMS were sent in the last hour" in page


def test_the_caps_page_says_the_summary_counts(logged_in):
    page = logged_in.get(reverse("mailalerts_settings")).content.decode()
    assert "The quiet-hours summary is one alert SMS: it counts toward these caps" in page


# Words -------------------------------------------------------------------------------------------


def test_one_verb_for_deleting_and_numbers_written_for_people(logged_in, owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    logged_in.post(
        reverse("mailalerts_filter_new"),
        {"name": "Boss", "match": "all", "subject": "x", "notify_to": "0476 11 22 33", "active": "on"},
    )
    dovecot.append(imap_account[0], simple_message(subject="Hello"))
    poll(mailbox)
    index = logged_in.get(reverse("mailalerts_index")).content.decode()
    log = logged_in.get(reverse("mailalerts_log")).content.decode()
    assert ">Remove<" not in index and index.count(">Delete<") == 2
    assert "+32 476 11 22 33" in index and "+32476112233" not in index
    assert "+32 475 12 34 56" in log and "+32475123456" not in log


def test_the_filter_form_shows_its_number_as_people_write_it(logged_in, owner):
    logged_in.post(
        reverse("mailalerts_filter_new"),
        {"name": "Boss", "match": "all", "subject": "x", "notify_to": "0476 11 22 33", "active": "on"},
    )
    mail_filter = MailFilter.objects.get()
    page = logged_in.get(reverse("mailalerts_filter_edit", args=[mail_filter.pk])).content.decode()
    assert 'value="+32 476 11 22 33"' in page


def test_an_alert_held_before_this_change_still_says_held_once(logged_in, owner):
    AlertLog.objects.create(user=owner, status="held", reason="quiet hours", sender="Anna", subject="Late")
    page = logged_in.get(reverse("mailalerts_log")).content.decode()
    assert "held for the quiet-hours summary" in page and "summary: quiet hours" not in page
