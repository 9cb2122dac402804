"""Export of deliveries as CSV: one message, a date range, formula injection, streaming."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from messaging.models import Message, Recipient, RecipientStatus
from messaging.services.accepting import message_send


@pytest.fixture
def client_(client, sender):
    client.force_login(sender)
    return client


def table(response) -> list[list[str]]:
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_messages_deliveries_with_sender_contact_state_parts_credits_and_error(
    client_, sender, bob, run_on_commit, locmem_gateway
):
    from messaging.gateways.base import Outcome, SendResult

    def answer(sms):
        if sms.to == "+32475123456":
            return SendResult(Outcome.FAILED, code="21610", reason="unsubscribed")
        return SendResult(Outcome.ACCEPTED, provider_id="p1")

    locmem_gateway.script = answer
    message = run_on_commit(
        message_send,
        with_placeholders=True,
        user=sender,
        body="Hi {first_name|there} " + "x" * 155,
        contact_ids=[bob.pk],
        to=["+32475123456"],
        with_signature=False,
    )
    page = client_.get(reverse("sms_detail", args=[message.pk])).content.decode()
    assert reverse("sms_export", args=[message.pk]) in page
    rows = table(client_.get(reverse("sms_export", args=[message.pk])))
    assert rows[0] == [
        "date",
        "sender",
        "recipient number",
        "contact name",
        "state",
        "parts",
        "credits",
        "provider error",
    ]
    by_number = {row[2]: row for row in rows[1:]}
    assert by_number["'+32486112233"][1:] == [
        "Ann Peeters",
        "'+32486112233",
        "Bob Janssens",
        "accepted by the SMS centre",
        "2",
        "2",
        "",
    ]
    assert by_number["'+32475123456"][4:] == ["failed", "2", "0", "21610: unsubscribed"]


def test_all_sms_over_a_date_range_from_sent_sms(client_, sender, run_on_commit):
    old = run_on_commit(message_send, user=sender, body="Old", to=["+32475000001"])
    new = run_on_commit(message_send, user=sender, body="New", to=["+32475000002", "+32475000003"])
    Message.objects.filter(pk=old.pk).update(created_at=dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC))
    Message.objects.filter(pk=new.pk).update(created_at=dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC))
    page = client_.get(reverse("sms_history"), {"since": "2026-02-01"}).content.decode()
    assert f"{reverse('sms_history_export')}?since=2026-02-01&amp;until=" in page
    rows = table(client_.get(reverse("sms_history_export"), {"since": "2026-02-01", "until": "2026-02-28"}))
    assert [row[2] for row in rows[1:]] == ["'+32475000002", "'+32475000003"]
    assert rows[1][0] == "2026-02-10 13:00"  # in the user's zone (Brussels)
    everything = table(client_.get(reverse("sms_history_export")))
    assert len(everything) == 4


def test_cells_a_spreadsheet_would_run_are_prefixed(client_, sender, run_on_commit):
    from accounts.services import PhoneEntry, address_books_ensure, contact_save

    book = address_books_ensure(user=sender)[0]
    evil = contact_save(
        book=book, name='=HYPERLINK("http://evil","x")', phone_entries=[PhoneEntry("mobile", "", "+32486000001")]
    )
    message = run_on_commit(message_send, user=sender, body="Hi", contact_ids=[evil.pk])
    Recipient.objects.filter(message=message).update(
        status=RecipientStatus.FAILED, error_code="@SUM(1)", error_reason="-x"
    )
    sender.full_name = "+cmd"
    sender.save()
    row = table(client_.get(reverse("sms_export", args=[message.pk])))[1]
    assert row[1] == "'+cmd" and row[3] == '\'=HYPERLINK("http://evil","x")' and row[7] == "'@SUM(1): -x"


def test_another_users_message_is_a_404_and_their_sms_are_not_in_my_export(client, sender, other_user, run_on_commit):
    message = run_on_commit(message_send, user=sender, body="Mine", to=["+32475000001"])
    client.force_login(other_user)
    assert client.get(reverse("sms_export", args=[message.pk])).status_code == 404
    assert len(table(client.get(reverse("sms_history_export")))) == 1
