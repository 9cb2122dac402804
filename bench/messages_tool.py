"""The Messages tool: accepting a 1,000-person message, its email copies over SMTP, fax PDFs.

Prints, each beside a baseline measured in the same run:
  (a) broadcast_send for 1,000 contacts on email + SMS + fax (plan, credit hold, rows)
      vs message_send of the SMS copy alone (the SMS pipeline's own accept);
  (b) dispatching 1,000 email copies to an SMTP server on loopback (aiosmtpd)
      vs smtplib sending the same 1,000 prepared messages on one connection;
  (c) one fax PDF of 2 pages, Latin text and with Chinese (the fallback font loaded).
Runs on DATABASE_URL (PostgreSQL) in a throw-away test database; SMS go to the locmem
gateway, nothing leaves the machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice .venv/bin/python bench/messages_tool.py
"""

import datetime as dt
import smtplib
import statistics
import time

from common import throwaway_database
from django.conf import settings
from django.db import transaction

from accounts.models import Contact, ContactEmail, ContactList, ContactPhone, ListMember
from accounts.services import address_books_ensure
from broadcasts import services as broadcasts
from broadcasts.email import broadcast_email
from broadcasts.fax.pdf import FaxCover, fax_pdf
from broadcasts.models import Delivery
from broadcasts.services import Draft, broadcast_send, deliveries_dispatch
from credits.services import account_for, credits_grant
from messaging.models import SendingLimits
from messaging.services.accepting import message_send
from tests.factories import UserFactory
from tests.fakes.smtp_server import SMTPServer

PEOPLE = 1_000


def people_list(user) -> ContactList:
    book = address_books_ensure(user=user)[0]
    contacts = Contact.objects.bulk_create(
        Contact(book=book, name=f"Person {n:04d}", search_text=f"person {n:04d}") for n in range(PEOPLE)
    )
    ContactEmail.objects.bulk_create(ContactEmail(contact=c, address=f"p{c.pk}@example.org") for c in contacts)
    ContactPhone.objects.bulk_create(
        ContactPhone(contact=c, label="mobile", raw="", e164=f"+3247{n:07d}") for n, c in enumerate(contacts)
    )
    ContactPhone.objects.bulk_create(
        ContactPhone(contact=c, label="fax", raw="", e164=f"+322{5000000 + n}") for n, c in enumerate(contacts)
    )
    team = ContactList.objects.create(owner=user, name="Everyone")
    ListMember.objects.bulk_create(ListMember(contact_list=team, contact=c) for c in contacts)
    return team


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def accept(user, team) -> None:
    draft = Draft(subject="Closed Friday", body="The office is closed on Friday.", channels=["email", "sms", "fax"])
    draft.list_ids = [team.pk]
    ours = []
    baseline = []
    numbers = [f"+3247{n:07d}" for n in range(PEOPLE)]
    for _ in range(3):
        with transaction.atomic():
            seconds, _result = timed(broadcast_send, user=user, draft=draft)
            ours.append(seconds)
            transaction.set_rollback(True)
        with transaction.atomic():
            seconds, _result = timed(message_send, user=user, body=draft.body, to=numbers)
            baseline.append(seconds)
            transaction.set_rollback(True)
    print(f"(a) accept {PEOPLE} people x 3 channels: {statistics.median(ours):.2f} s (median of 3)")
    print(f"    baseline, message_send of the SMS copy alone: {statistics.median(baseline):.2f} s")


def emails(user, team) -> None:
    with SMTPServer() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp.port, False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        draft = Draft(subject="Closed", body="Closed on Friday.", channels=["email"], list_ids=[team.pk])
        # The copies are dispatched below, timed, rather than by the eager task after commit.
        broadcasts.enqueue_deliveries = lambda ids: None
        broadcast = broadcast_send(user=user, draft=draft)
        ids = list(broadcast.deliveries.values_list("pk", flat=True))
        seconds, _n = timed(lambda: [deliveries_dispatch(delivery_ids=ids[i : i + 20]) for i in range(0, len(ids), 20)])
        sent = Delivery.objects.filter(broadcast=broadcast, status="sent").count()
        print(f"(b) {sent} email copies dispatched to SMTP on loopback: {seconds:.2f} s = {sent / seconds:.0f}/s")
        prepared = [broadcast_email(delivery=d).message() for d in broadcast.deliveries.select_related("broadcast")]
        start = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp.port) as connection:
            for message in prepared:
                connection.send_message(message)
        seconds = time.perf_counter() - start
        print(f"    baseline, smtplib alone on one connection: {seconds:.2f} s = {len(prepared) / seconds:.0f}/s")


def faxes() -> None:
    cover = FaxCover("Ann Peeters", "Bob", "+32 2 555 12 34", "Order", dt.datetime.now(dt.UTC))
    samples = [
        ("Latin", "A line of an ordinary letter. "),
        ("with Hebrew (shaped)", "שלום עולם. A line of a letter. "),
        ("with Chinese (fallback font)", "你好，世界。A line. "),
    ]
    for label, line in samples:
        text = (line * 6 + "\n") * 60
        timings = [timed(fax_pdf, cover=cover, text=text)[0] for _ in range(5)]
        print(f"(c) fax PDF, {label}: {statistics.median(timings) * 1000:.0f} ms (median of 5)")


def main() -> None:
    with throwaway_database(postgres_only=True):
        user = UserFactory(full_name="Ann Peeters")
        credits_grant(account=account_for(user=user), amount=10 * PEOPLE, reason="bench", actor=None)
        SendingLimits.objects.create(user=user, max_emails_per_day=10 * PEOPLE, max_faxes_per_day=10 * PEOPLE)
        team = people_list(user)
        accept(user, team)
        emails(user, team)
        faxes()


if __name__ == "__main__":
    main()
