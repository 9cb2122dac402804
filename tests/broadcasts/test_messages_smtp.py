"""Email and email-to-fax copies through Django's SMTP backend to a real SMTP server on loopback."""

import datetime as dt
import email
import io
from email import policy

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from accounts.services import PhoneEntry, address_books_ensure, contact_save
from broadcasts.models import Delivery
from broadcasts.services import Draft, broadcast_send, deliveries_sweep
from tests.fakes.smtp_server import SMTPServer, free_port


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "SMS Office <noreply@office.example>"
        yield server


@pytest.fixture
def friends(sender):
    book = address_books_ensure(user=sender)[0]
    return [
        contact_save(book=book, name="Bob Janssens", emails=["bob@example.org"]),
        contact_save(book=book, name="Zoë Ŝimon", emails=["zoe@example.org"]),
    ]


def send_email(sender, friends, run_on_commit, **draft):
    fields = {"subject": "Réunion lundi", "body": "See you at 9.\nAnn", "channels": ["email"]}
    fields.update(draft)
    contact_ids = [f.pk for f in friends]
    return run_on_commit(broadcast_send, user=sender, draft=Draft(contact_ids=contact_ids, **fields))


def test_the_email_arrives_with_its_headers_both_parts_and_the_right_recipient(smtp, sender, friends, run_on_commit):
    send_email(sender, friends, run_on_commit)
    assert sorted(rcpt for _from, rcpts, _data in smtp.received for rcpt in rcpts) == [
        "bob@example.org",
        "zoe@example.org",
    ]
    received = {rcpts[0]: email.message_from_bytes(data, policy=policy.default) for _f, rcpts, data in smtp.received}
    message = received["zoe@example.org"]
    assert message["Subject"] == "Réunion lundi"
    assert message["From"] == "Ann Peeters via SMS Office <noreply@office.example>"
    assert message["Reply-To"] == f"Ann Peeters <{sender.email}>"
    assert message["To"] == "Zoë Ŝimon <zoe@example.org>"
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n").startswith("See you at 9.\nAnn\n")
    assert "<p>See you at 9.<br>Ann</p>" in message.get_body(("html",)).get_content()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_5xx_reply_fails_that_copy_with_the_servers_words(smtp, sender, friends, run_on_commit):
    smtp.replies["bob@example.org"] = "550 5.1.1 <bob@example.org>: Recipient address rejected"
    send_email(sender, friends, run_on_commit)
    bob = Delivery.objects.get(address="bob@example.org")
    assert bob.status == "failed"
    assert bob.error_reason == "550 5.1.1 <bob@example.org>: Recipient address rejected"
    assert Delivery.objects.get(address="zoe@example.org").status == "sent"


def test_a_4xx_reply_is_retried_later_and_then_sent(smtp, sender, friends, run_on_commit):
    smtp.replies["bob@example.org"] = "451 4.7.1 Greylisted, try again later"
    send_email(sender, friends, run_on_commit)
    bob = Delivery.objects.get(address="bob@example.org")
    assert (bob.status, bob.attempts) == ("queued", 1)
    assert bob.error_reason == "451 4.7.1 Greylisted, try again later"
    assert bob.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)

    del smtp.replies["bob@example.org"]
    run_on_commit(deliveries_sweep, now=timezone.now())  # not due yet: nothing happens
    assert Delivery.objects.get(pk=bob.pk).status == "queued"
    with time_machine.travel(bob.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        run_on_commit(deliveries_sweep)
    bob.refresh_from_db()
    assert (bob.status, bob.attempts) == ("sent", 2)
    assert sum(1 for _f, rcpts, _d in smtp.received if rcpts == ["bob@example.org"]) == 1


def test_an_smtp_server_that_is_down_means_retry_not_failure(settings, sender, friends, run_on_commit):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    send_email(sender, friends, run_on_commit)
    rows = list(Delivery.objects.all())
    assert {(d.status, d.error_code) for d in rows} == {("queued", "connection")}


def test_email_to_fax_mails_the_pdf_to_the_providers_address(smtp, settings, sender, run_on_commit):
    settings.FAX_GATEWAYS = {
        "default": {
            "BACKEND": "broadcasts.fax.email_to_fax.EmailToFaxGateway",
            "OPTIONS": {"ADDRESS": "{number}@fax.example", "FROM": "faxes@office.example"},
        }
    }
    book = address_books_ensure(user=sender)[0]
    shop = contact_save(book=book, name="Print Shop", phone_entries=[PhoneEntry("fax", "", "+3225551234")])
    draft = Draft(subject="Order 12", body="Two boxes of paper, please.", channels=["fax"], contact_ids=[shop.pk])
    run_on_commit(broadcast_send, user=sender, draft=draft)
    ((mail_from, rcpts, data),) = smtp.received
    assert (mail_from, rcpts) == ("faxes@office.example", ["3225551234@fax.example"])
    message = email.message_from_bytes(data, policy=policy.default)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "To Print Shop (+32 2 555 12 34)" in text and "Two boxes of paper, please." in text
    assert Delivery.objects.get(channel="fax").status == "sent"
