"""vCard and CSV import (bad rows reported by line, good rows imported) and vCard export."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Contact
from accounts.vcard import CardData, read_cards, write_cards

VCARDS = """BEGIN:VCARD
VERSION:3.0
FN:Ann Peeters
ORG:Peeters & Co;Sales
EMAIL;TYPE=INTERNET:ann@example.com
TEL;TYPE=CELL,VOICE:+32 475 12 34 56
TEL;TYPE=HOME:0475 65 43 21
NOTE:Met at the fair\\, 2024\\nCall after 10
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Janssens;Bob;;;
EMAIL:not-an-email
END:VCARD
BEGIN:VCARD
VERSION:2.1
N:Dupont;Claire;;;
TEL;CELL:+33 6 12 34 56 78
END:VCARD
BEGIN:VCARD
VERSION:3.0
ORG:Nameless Ltd
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Dirk Long-Number
TEL;TYPE=cell:+32 475 12 34 56 78 99
END:VCARD
"""


def upload(client, book, name, content, content_type="text/vcard"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        reverse("contact_import"),
        {"book": book.pk, "file": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def test_vcard_import_reports_bad_cards_by_line_and_imports_the_good_ones(logged_in, private_book):
    response = upload(logged_in, private_book, "contacts.vcf", VCARDS)
    report = response.context["report"]
    assert report.imported == 2
    assert [line for line, _why in report.errors] == [10, 20, 24]
    page = response.content.decode()
    assert "Line 10: “not-an-email” is not an email address" in page
    assert "Line 20: no name" in page
    assert "Line 24: “+32 475 12 34 56 78 99” has too many digits for Belgium" in page

    ann = Contact.objects.get(name="Ann Peeters")
    assert ann.organisation == "Peeters & Co"
    assert ann.notes == "Met at the fair, 2024\nCall after 10"
    assert [(p.label, p.e164) for p in ann.phones.all()] == [("mobile", "+32475123456"), ("home", "+32475654321")]
    claire = Contact.objects.get(name="Claire Dupont")
    assert [(p.label, p.e164) for p in claire.phones.all()] == [("mobile", "+33612345678")]
    assert Contact.objects.count() == 2


def test_csv_import_reports_bad_rows_by_line(logged_in, private_book):
    csv_text = (
        "Name,Organisation,Email,Mobile,Work\n"
        "Ann Peeters,Acme,ann@example.com;ann2@example.com,0475 12 34 56,\n"
        ",No Name Inc,x@example.com,,\n"
        "Bob,,bob@example.com,+32 475 12,\n"
        "Claire,,,,+32 2 555 12 12\n"
    )
    response = upload(logged_in, private_book, "contacts.csv", csv_text, "text/csv")
    report = response.context["report"]
    assert report.imported == 2
    assert report.errors[0] == (3, "no name")
    assert report.errors[1][0] == 4 and "too few digits" in report.errors[1][1]
    ann = Contact.objects.get(name="Ann Peeters")
    assert [e.address for e in ann.emails.all()] == ["ann@example.com", "ann2@example.com"]
    assert Contact.objects.get(name="Claire").phones.get().label == "work"


def test_csv_without_a_known_header_is_refused_whole(logged_in, private_book):
    response = upload(logged_in, private_book, "contacts.csv", "Who,Where\nAnn,Here\n", "text/csv")
    assert response.status_code == 400
    assert "The first line must name the columns" in response.content.decode()
    assert not Contact.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_whole(logged_in, private_book):
    response = upload(logged_in, private_book, "contacts.csv", "name\nJosé\n".encode("latin-1"), "text/csv")
    assert response.status_code == 400
    assert "not UTF-8 text" in response.content.decode()
    assert not Contact.objects.exists()


def test_an_unknown_file_type_is_refused(logged_in, private_book):
    response = upload(logged_in, private_book, "contacts.xlsx", b"PK\x03\x04", "application/octet-stream")
    assert response.status_code == 400
    assert "Choose a vCard (.vcf) or CSV (.csv) file" in response.content.decode()


def test_national_numbers_without_default_country_are_kept_but_not_smsable(logged_in, user, private_book):
    user.default_country = ""
    user.save()
    upload(logged_in, private_book, "c.vcf", "BEGIN:VCARD\nFN:Ann\nTEL;TYPE=CELL:0475 12 34 56\nEND:VCARD\n")
    phone = Contact.objects.get(name="Ann").phones.get()
    assert (phone.raw, phone.e164, phone.sms_refusal) == ("0475 12 34 56", "", "not in international format")


def test_unterminated_card_is_reported(logged_in, private_book):
    response = upload(logged_in, private_book, "c.vcf", "BEGIN:VCARD\nFN:Ann\n")
    assert response.context["report"].errors == [(1, "the file ends inside a card: END:VCARD is missing")]
    assert not Contact.objects.exists()


def test_export_then_import_gives_the_same_contacts(logged_in, private_book):
    upload(logged_in, private_book, "contacts.vcf", VCARDS)
    exported = b"".join(logged_in.get(reverse("contact_export")).streaming_content).decode()
    assert exported.count("BEGIN:VCARD") == 2
    before = sorted((c.name, c.organisation, c.notes) for c in Contact.objects.all())
    Contact.objects.all().delete()
    upload(logged_in, private_book, "again.vcf", exported)
    assert sorted((c.name, c.organisation, c.notes) for c in Contact.objects.all()) == before
    ann = Contact.objects.get(name="Ann Peeters")
    assert [(p.label, p.e164) for p in ann.phones.all()] == [("mobile", "+32475123456"), ("home", "+32475654321")]


text = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=120)


@given(name=text.filter(str.strip), organisation=text, notes=st.text(max_size=300))
def test_vcard_writer_and_reader_round_trip_any_text(name, organisation, notes):
    card = CardData(line=0, name=name, organisation=organisation, notes=notes, emails=["a@b.example"])
    (back,) = read_cards(write_cards([card]))
    assert back.problem == ""
    assert (back.name, back.organisation) == (name, organisation)
    assert back.notes == notes.replace("\r\n", "\n").replace("\r", "\n")
    assert all(len(line.encode()) <= 75 for line in write_cards([card]).split("\r\n"))
