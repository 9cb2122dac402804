"""Recipients from a CSV: reading, every refusal, and the composer page through Django's client."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from credits.models import Hold
from messaging.models import Message
from messaging.recipient_csv import CsvRefused, decode, read

URL = reverse("sms_compose")


def read_be(text, **kwargs):
    return read(text=text, default_region="BE", max_rows=kwargs.pop("max_rows", 100), **kwargs)


def test_a_header_a_number_column_and_placeholders_bad_rows_reported_by_line():
    found = read_be(
        "Name;GSM;City\n"
        "Lea;0475 00 00 01;Gent\n"
        "Tom;+32 2 555 12 12;Luik\n"  # a fixed line
        "Ann;hello;Namen\n"
        "Bo;0032475000001;Brugge\n"  # the same number as line 2
        "\n"
        "Zoë;32 475 000 002;Antwerpen\n"
    )
    assert found.number_column == "GSM" and found.columns == ["name", "city"]
    assert [(r.to, r.line, dict(r.values)) for r in found.rows] == [
        ("+32475000001", 2, {"name": "Lea", "city": "Gent"}),
        ("+32475000002", 7, {"name": "Zoë", "city": "Antwerpen"}),
    ]
    reasons = {bad.line: bad.reason for bad in found.bad}
    assert set(reasons) == {3, 4, 5}
    assert "not a mobile" in reasons[3] and "not a phone number" in reasons[4] and reasons[5] == "duplicate of line 2"


def test_the_number_column_can_be_chosen():
    found = read_be("who,where\n0475000001,Gent\n", number_column="who")
    assert [r.to for r in found.rows] == ["+32475000001"] and found.columns == ["where"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name,city\nLea,Gent\n", "No column of numbers"),
        ("mobile," + ",".join(f"c{i}" for i in range(20_000)) + "\n", "20001 columns: at most 50"),
        ("mobile,note\n0475000001," + "x" * 1_000_000 + "\n", "Line 2 is 1000011 characters long"),
        ("mobile,city,City\n0475000001,a,b\n", "same name (city)"),
        ("", "The CSV is empty"),
    ],
    ids=["no-number-column", "20000-columns", "1MB-row", "same-column-twice", "empty"],
)
def test_a_file_that_cannot_be_used_is_refused_whole_with_the_reason(text, reason):
    with pytest.raises(CsvRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_be(text)


def test_more_rows_than_a_send_takes_are_refused():
    text = "mobile\n" + "".join(f"+3247500{n:04d}\n" for n in range(11))
    with pytest.raises(CsvRefused, match="more than 10 rows"):
        read_be(text, max_rows=10)


def test_formula_cells_and_huge_cells_are_left_out_with_the_reason():
    found = read_be('mobile,city\n0475000001,=HYPERLINK("http://x")\n0475000002,' + "y" * 600 + "\n0475000003,-5\n")
    assert [r.to for r in found.rows] == ["+32475000003"]
    assert [b.reason for b in found.bad] == [
        "the cell “city” is a spreadsheet formula: put its value",
        "the cell “city” is longer than 500 characters",
    ]


def test_utf8_bom_and_windows_1252_are_decoded_anything_else_refused():
    text = "mobile;prénom\n0475000001;Zoë\n"
    assert decode(text.encode("utf-8")) == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode(text.encode("cp1252")) == text  # what Excel writes in Belgium
    with pytest.raises(CsvRefused, match="NUL"):
        decode(text.encode("utf-16"))
    with pytest.raises(CsvRefused, match="not a CSV text"):
        decode(b"PK\x03\x04\x14\x06")  # an .xlsx
    with pytest.raises(CsvRefused, match="neither UTF-8 nor Windows-1252"):
        decode(b"mobile\n\x81\x8d\n")


@override_settings(SMS_CSV_MAX_BYTES=1024)
def test_a_file_too_large_is_refused():
    with pytest.raises(CsvRefused, match="at most 1 KB"):
        decode(b"mobile\n" + b"0475000001\n" * 200)


@pytest.fixture
def client_(client, sender):
    client.force_login(sender)
    return client


def compose(client_, **fields):
    data = {"body": "", "with_signature": "", "idempotency_key": "k1", "action": "csv"}
    data.update(fields)
    return client_.post(URL, data)


def test_a_pasted_csv_shows_its_recipients_placeholders_and_bad_rows(client_):
    page = compose(client_, csv="mobile,city\n0475000001,Gent\nnope,Luik\n", body="See you in {city}").content.decode()
    assert "1 recipient from the CSV." in page and "<code>{city}</code>" in page
    assert "Line 3 (nope)" in page and "is not a phone number" in page
    assert "1 credit" in page and "See you in Gent" in page  # the preview


def test_an_uploaded_windows_1252_csv_is_sent_with_each_rows_text(client_, sender, run_on_commit, locmem_gateway):
    upload = SimpleUploadedFile("list.csv", "Mobile;Prénom\n0475000001;Zoë\n0475000002;Léa\n".encode("cp1252"))
    page = compose(client_, csv_file=upload, body="Bonjour {prénom}").content.decode()
    assert "2 recipients from the CSV." in page and "Bonjour Zoë" in page
    # The page kept the decoded text in the field: Send posts it back.
    response = run_on_commit(
        compose, client_, action="send", csv="Mobile;Prénom\n0475000001;Zoë\n0475000002;Léa\n", body="Bonjour {Prénom}"
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert sorted(sms.text for sms in locmem_gateway.outbox) == ["Bonjour Léa", "Bonjour Zoë"]


def test_a_refused_upload_is_a_400_and_nothing_is_sent_or_held(client_):
    upload = SimpleUploadedFile("list.xlsx", b"PK\x03\x04\x14\x06" * 10)
    response = compose(client_, csv_file=upload, action="send", body="Hi", to="+32475123456")
    assert response.status_code == 400
    assert "not a CSV text" in response.content.decode()
    assert not Message.objects.exists() and not Hold.objects.exists()


def test_a_csv_without_number_column_refuses_the_send(client_):
    response = compose(client_, action="send", body="Hi", to="+32475123456", csv="name,city\nLea,Gent\n")
    assert response.status_code == 400 and "No column of numbers" in response.content.decode()
    assert not Message.objects.exists() and not Hold.objects.exists()
