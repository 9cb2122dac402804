"""The Messages tool: one message by email, SMS and fax, through the page and the services."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from accounts.services import address_books_ensure, contact_save
from broadcasts.models import Broadcast, Delivery
from broadcasts.services import Draft, broadcast_plan, deliveries_sweep
from credits.models import Hold, LedgerEntry
from credits.services import account_for
from messaging.gateways.base import Outcome, SendResult
from messaging.models import Message, MessageTemplate, Recipient
from tests.factories import team_of_three


@pytest.fixture
def team(sender):
    return team_of_three(sender)


def form(team=None, **fields):
    data = {
        "subject": "Office closed Friday",
        "body": "The office is closed on Friday.",
        "channel": ["email", "sms", "fax"],
        "with_signature": "on",
        "idempotency_key": "k1",
        "list": [team.pk] if team else [],
    }
    data.update(fields)
    return data


def nothing_written():
    return not (Broadcast.objects.exists() or Delivery.objects.exists() or Message.objects.exists())


def test_the_summary_says_who_gets_what_before_sending(client, sender, team):
    client.force_login(sender)
    page = client.post(reverse("messages_compose"), form(team, action="preview")).content.decode()
    assert 'data-testid="count-email">2<' in page
    assert 'data-testid="count-sms">2<' in page
    assert 'data-testid="count-fax">1<' in page
    assert "Mo Mobile: no email address" in page
    assert "Emma Email: no mobile number" in page
    assert "Emma Email: no fax number; Mo Mobile: no fax number" in page
    # Two SMS of one part each, paid by the monthly quota.
    assert "2 credits in all, paid by your monthly quota: 2; by provision: 0." in page
    assert nothing_written()


def test_sending_reaches_everyone_on_each_channel_they_have(
    fax_gateway, client, sender, team, locmem_gateway, run_on_commit
):
    client.force_login(sender)
    response = run_on_commit(client.post, reverse("messages_compose"), form(team, action="send", subject_in_sms="on"))
    broadcast = Broadcast.objects.get()
    assert response.status_code == 302 and response.url == reverse("messages_detail", args=[broadcast.pk])

    assert sorted(m.to[0] for m in mail.outbox) == ["Emma Email <emma@example.org>", "Fay Everything <fay@example.org>"]
    assert sorted(s.to for s in locmem_gateway.outbox) == ["+32486112233", "+32486445566"]
    assert locmem_gateway.outbox[0].text == "Office closed Friday\nThe office is closed on Friday.\nAnn"
    assert [f.to for f in fax_gateway.outbox] == ["+3225551234"]

    page = client.get(response.url).content.decode()
    assert page.count('data-testid="person"') == 3
    assert page.count('data-state="sent"') == 3  # two emails, one fax
    assert page.count('data-state="accepted"') == 2  # two SMS, accepted by the SMS centre
    assert page.count('data-state="skipped"') == 4
    # The SMS copy is an ordinary SMS: its credit captured, its recipients named.
    sms = broadcast.sms_message
    assert sorted(sms.recipients.values_list("contact__name", flat=True)) == ["Fay Everything", "Mo Mobile"]
    hold = Hold.objects.get(reference=sms.hold_reference)
    assert hold.monthly_open + hold.provision_open == 0
    assert account_for(user=sender).monthly_remaining == 18  # 20 a month, 2 spent


def test_the_email_copy_is_multipart_from_the_user_with_reply_to(client, sender, team, run_on_commit):
    client.force_login(sender)
    run_on_commit(client.post, reverse("messages_compose"), form(team, action="send", channel=["email"]))
    email = mail.outbox[0]
    assert email.subject == "Office closed Friday"
    assert email.reply_to == [f"Ann Peeters <{sender.email}>"]
    assert email.from_email == "Ann Peeters via SMS Office <noreply@localhost>"
    assert "The office is closed on Friday." in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "<p>The office is closed on Friday.</p>" in html


def test_the_fax_copy_is_a_pdf_with_a_cover_header(fax_gateway, client, sender, team, run_on_commit):
    client.force_login(sender)
    body = "Καλημέρα. Привет. 你好，世界。 שלום\n" + "A long line of text. " * 800
    run_on_commit(client.post, reverse("messages_compose"), form(team, action="send", channel=["fax"], body=body))
    fax = fax_gateway.outbox[0]
    pdf = PdfReader(io.BytesIO(fax.pdf))
    pages = len(pdf.pages)
    assert pages >= 2
    cover = pdf.pages[0].extract_text()
    assert "From Ann Peeters via SMS Office" in cover
    assert "To Fay Everything (+32 2 555 12 34)" in cover
    assert f"Pages {pages}" in cover
    assert "Subject Office closed Friday" in cover
    assert "Καλημέρα. Привет. 你好，世界。 שלום" in cover
    assert f"page {pages} of {pages}" in pdf.pages[-1].extract_text()


def test_a_refused_fax_is_failed_with_the_reason_and_the_others_go(fax_gateway, client, sender, team, run_on_commit):
    fax_gateway.script = lambda fax: SendResult(Outcome.FAILED, code="busy", reason="line busy, gave up")
    client.force_login(sender)
    run_on_commit(client.post, reverse("messages_compose"), form(team, action="send"))
    fax = Delivery.objects.get(channel="fax", status__in=["failed", "sent"])
    assert (fax.status, fax.error_reason) == ("failed", "line busy, gave up")
    assert Delivery.objects.filter(channel="email", status="sent").count() == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"channel": []}, "channels", "Tick at least one channel"),
        ({"channel": ["fax"], "list": [], "email": ["ann@example.org"]}, "recipients", "has an address for the ticked"),
        ({"list": [], "email": ["not-an-address"]}, "recipients", "is not an email address"),
        ({"list": [], "fax": ["12"]}, "recipients", "fax number"),
        ({"subject": "Hi\r\nBcc: victim@example.org"}, "subject", "must be one line"),
        ({"body": "x" * 100_000}, "body", "at most 20000"),
        ({"body": "   "}, "body", "Write a message"),
        ({"body": "bell\x07"}, "body", "control characters"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_sent_or_held(client, sender, team, fields, field, message):
    client.force_login(sender)
    account = account_for(user=sender)
    held_before = (account.monthly_held, account.provision_held)
    response = client.post(reverse("messages_compose"), form(team, action="send", **fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_written() and not mail.outbox
    account.refresh_from_db()
    assert (account.monthly_held, account.provision_held) == held_before


def test_another_users_contact_or_list_is_refused_by_id(client, sender, team, other_user):
    foreign = team_of_three(other_user)
    client.force_login(sender)
    response = client.post(reverse("messages_compose"), form(action="send", list=[foreign.pk]))
    assert response.status_code == 400
    assert f"{foreign.pk}: No such List." in response.content.decode()
    assert nothing_written()


def test_a_five_megabyte_text_is_refused_with_the_limit(client, sender, team):
    client.force_login(sender)
    response = client.post(reverse("messages_compose"), form(team, action="send", body="x" * 5_000_000))
    assert response.status_code == 400
    assert "The text has 5000000 characters; at most 20000." in response.content.decode()
    assert nothing_written()


def test_a_form_over_the_upload_limit_gets_a_page_that_says_so(client, sender, team):
    client.force_login(sender)
    response = client.post(reverse("messages_compose"), form(team, action="send", body="x" * 6_000_000))
    assert response.status_code == 413
    assert "A form can carry at most 5.0 MB of text. Nothing was saved or sent" in response.content.decode()
    assert nothing_written()


def test_a_text_too_long_for_sms_is_refused_only_when_sms_is_ticked(client, sender, team):
    client.force_login(sender)
    long_text = "word " * 400  # 2,000 characters: 14 SMS parts, over the limit of 10
    response = client.post(reverse("messages_compose"), form(team, action="send", body=long_text))
    assert response.status_code == 400
    page = response.content.decode()
    assert "SMS copy: The text takes 14 parts; at most 10 are allowed." in page
    assert page.count("control characters") == 0 and nothing_written()
    response = client.post(reverse("messages_compose"), form(team, action="send", body=long_text, channel=["email"]))
    assert response.status_code == 302


def test_short_credit_refuses_the_whole_message(client, sender, team):
    account = account_for(user=sender)
    account.monthly_remaining, account.provision_balance = 1, 0
    account.save()
    client.force_login(sender)
    response = client.post(reverse("messages_compose"), form(team, action="send"))
    assert response.status_code == 402
    assert "Buy credit" in response.content.decode()
    assert nothing_written() and not mail.outbox


def test_a_second_click_on_send_sends_nothing_more(client, sender, team, run_on_commit):
    client.force_login(sender)
    run_on_commit(client.post, reverse("messages_compose"), form(team, action="send"))
    run_on_commit(client.post, reverse("messages_compose"), form(team, action="send"))
    assert Broadcast.objects.count() == 1 and len(mail.outbox) == 2


def test_the_same_address_twice_is_sent_once(sender, team):
    draft = Draft(subject="s", body="b", channels=["email", "sms"], emails=["FAY@example.org"], list_ids=[team.pk])
    plan = broadcast_plan(user=sender, draft=draft)
    assert [c.address for c in plan.sending("email")] == ["FAY@example.org", "emma@example.org"]
    skipped = [c.skip_reason for c in plan.skipped("email") if c.person.name == "Fay Everything"]
    assert skipped == ["same address as FAY@example.org: sent once"]


def test_a_contact_name_cannot_inject_headers(client, sender, run_on_commit):
    book = address_books_ensure(user=sender)[0]
    evil = contact_save(book=book, name="Eve\nBcc: all@example.org", emails=["eve@example.org"])
    client.force_login(sender)
    run_on_commit(client.post, reverse("messages_compose"), form(channel=["email"], contact=[evil.pk], action="send"))
    message = mail.outbox[0].message()
    assert message["To"] == '"Eve Bcc: all@example.org" <eve@example.org>'  # one line, the name quoted
    assert message["Bcc"] is None


def test_typed_recipients_are_checked_as_they_are_added(client, sender):
    client.force_login(sender)
    page = client.post(reverse("messages_compose"), {"action": "add_fax", "typed_fax": "02 555 12 34", "body": ""})
    assert page.status_code == 200 and 'name="fax" value="+3225551234"' in page.content.decode()
    page = client.post(reverse("messages_compose"), {"action": "add_email", "typed_email": "nope", "body": ""})
    assert page.status_code == 400 and "is not an email address" in page.content.decode()
    page = client.post(reverse("messages_compose"), {"action": "add_mobile", "typed_mobile": "02 555 12 34"})
    assert page.status_code == 400 and "not a mobile" in page.content.decode()


def test_templates_are_saved_reused_and_deleted(client, sender, team):
    client.force_login(sender)
    client.post(reverse("messages_compose"), form(team, action="save_template", template_name="Closure"))
    template = MessageTemplate.objects.get(user=sender, name="Closure")
    assert template.channel_list == ["email", "sms", "fax"]
    page = client.get(reverse("messages_compose"), {"template": template.pk}).content.decode()
    assert 'value="Office closed Friday"' in page and "The office is closed on Friday." in page
    client.post(reverse("message_template_delete", args=[template.pk]))
    assert not MessageTemplate.objects.exists()


def test_a_lost_email_task_is_sent_by_the_sweep_and_a_stale_claim_becomes_unknown(
    client, sender, team, django_capture_on_commit_callbacks
):
    client.force_login(sender)
    client.post(reverse("messages_compose"), form(team, action="send", channel=["email"]))  # on_commit never runs
    assert not mail.outbox
    from django.utils import timezone

    later = timezone.now() + timezone.timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep(now=later)["copies_enqueued"] == 2
    assert len(mail.outbox) == 2
    sent = Delivery.objects.filter(channel="email", status="sent")
    sent.update(status="sending", claimed_at=later)  # as if a worker died after claiming them
    assert deliveries_sweep(now=later + timezone.timedelta(hours=1))["copies_unknown"] == 2
    assert set(Delivery.objects.exclude(status="skipped").values_list("status", flat=True)) == {"unknown"}


def test_the_result_page_counts_each_channel(client, sender, team, run_on_commit):
    client.force_login(sender)
    run_on_commit(client.post, reverse("messages_compose"), form(team, action="send"))
    page = client.get(reverse("messages_detail", args=[Broadcast.objects.get().pk])).content.decode()
    assert "<strong>email</strong>: sent: 2 · not sent: 1" in page
    assert "<strong>SMS</strong>: accepted by the SMS centre: 2 · not sent: 1" in page
    assert "<strong>fax</strong>: sent: 1 · not sent: 2" in page
    assert Recipient.objects.count() == 2 and LedgerEntry.objects.filter(kind="capture").exists()
