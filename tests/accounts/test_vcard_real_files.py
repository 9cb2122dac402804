"""vCards as Outlook, iOS, Android, KDE and Google write them (issue 22).

Each file is small and written for the project after a case of the corpus
(bench/imports_corpus.py); each goes through the import page and is checked by the
contacts it leaves and the report the user reads.
"""

import vobject
from django.urls import reverse

from accounts.models import Contact

from .test_import_export import upload


def contact(name: str) -> tuple[str, list[tuple[str, str, str]], list[str]]:
    found = Contact.objects.get(name=name)
    phones = [(p.label, p.raw, p.e164) for p in found.phones.all()]
    return found.organisation, phones, [e.address for e in found.emails.all()]


def notes(response) -> list[tuple[int, str]]:
    return response.context["report"].notes


def test_an_outlook_quoted_printable_label_continued_on_the_next_line_keeps_the_card(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Doe;John\r\nFN:John Doe\r\n"
        "LABEL;WORK;ENCODING=QUOTED-PRINTABLE:Main Street 1=0D=0A=\r\nAlbany, New York=0D=0A=\r\nUSA\r\n"
        "TEL;CELL:+32 475 12 34 56\r\nEND:VCARD\r\n"
    )
    response = upload(logged_in, private_book, "outlook.vcf", text)
    assert response.context["report"].errors == [] and notes(response) == []
    assert contact("John Doe") == ("", [("mobile", "+32 475 12 34 56", "+32475123456")], [])


def test_a_quoted_printable_name_is_decoded(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91and=C3=BA=20P=C3=A9rez\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Jos=E9\r\nEND:VCARD\r\n"
    )
    upload(logged_in, private_book, "android.vcf", text)
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["José", "Ñandú Pérez"]


def test_ios_cr_cr_lf_line_ends_inside_a_folded_photo_keep_the_card(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nFN:Bob Smith\r\r\n"
        "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD\r\r\n AQEAAAxITGlubwIQAABtbnRy\r\r\n"
        " UkdCIFhZWiAHzgAC\r\r\nEMAIL:bob@example.com\r\r\nEND:VCARD\r\r\n"
    )
    response = upload(logged_in, private_book, "iphone.vcf", text)
    assert response.context["report"].errors == [] and notes(response) == []
    assert contact("Bob Smith") == ("", [], ["bob@example.com"])


def test_a_comment_line_keeps_the_card(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Conference Call\r\n# Android writes comments\r\n"
        "TEL:+3222223344\r\nEND:VCARD\r\n"
    )
    response = upload(logged_in, private_book, "android.vcf", text)
    assert response.context["report"].errors == [] and notes(response) == []
    assert contact("Conference Call")[1] == [("other", "+3222223344", "+3222223344")]


def test_a_backslash_continuation_keeps_the_card_and_names_the_lines_skipped(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Brevern;Hermann\r\n"
        "ADR;HOME:;;Hermann v. Brevern\\\r\n9999999\\\r\nPackstation 999;Hamburg;;99999;Deutschland\r\n"
        "TEL;CELL:+49 151 23456789\r\nEND:VCARD\r\n"
    )
    response = upload(logged_in, private_book, "android.vcf", text)
    assert response.context["report"].errors == []
    assert [line for line, _why in notes(response)] == [5, 6]
    assert "Line 5: not a vCard property, skipped" in response.content.decode()
    assert contact("Hermann Brevern")[1] == [("mobile", "+49 151 23456789", "+4915123456789")]


def test_a_property_name_with_a_slash_keeps_the_card(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:My Name\r\nX-messaging/twitter-All:kdecommunity\r\n"
        "EMAIL:me@example.com\r\nEND:VCARD\r\n"
    )
    response = upload(logged_in, private_book, "kde.vcf", text)
    assert response.context["report"].errors == [] and notes(response) == []
    assert contact("My Name") == ("", [], ["me@example.com"])


def test_a_multibyte_character_split_across_a_fold_is_read(logged_in, private_book):
    name = "Βγδεαβγδ Αβγδεαβγδ Γδεαβγδ Δεαβγδ Εαβγδ Ζβγδ"  # 84 octets: folded at 75
    line = f"FN:{name}".encode()
    cut = 75 if line[75] & 0xC0 == 0x80 else 74  # inside a two-octet character
    folded = line[:cut] + b"\r\n " + line[cut:]
    assert line[cut] & 0xC0 == 0x80  # a continuation octet starts the next line
    response = upload(
        logged_in, private_book, "kde.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\n" + folded + b"\r\nEND:VCARD\r\n"
    )
    assert response.status_code == 200
    assert list(Contact.objects.values_list("name", flat=True)) == [name]


def test_of_several_names_the_preferred_one_is_kept(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN;ALTID=1;LANGUAGE=ja:山田太郎\r\n"
        "FN;ALTID=1;LANGUAGE=en;PREF=1:Yamada Taro\r\nFN;ALTID=1;LANGUAGE=fr:Taro Yamada (fr)\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN;LANGUAGE=en:Ann First\r\nFN;LANGUAGE=nl:Ann Second\r\nEND:VCARD\r\n"
    )
    upload(logged_in, private_book, "v4.vcf", text)
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["Ann First", "Yamada Taro"]


def test_a_quoted_type_list_with_cell_is_a_mobile(logged_in, private_book):
    text = (
        'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Sam\r\nTEL;TYPE="work,cell,voice";VALUE=uri:tel:+32475123456\r\nEND:VCARD\r\n'
    )
    upload(logged_in, private_book, "v4.vcf", text)
    phone = Contact.objects.get(name="Sam").phones.get()
    assert (phone.label, phone.e164) == ("mobile", "+32475123456")
    assert not phone.sms_refusal


def test_a_tel_uri_with_an_extension_keeps_the_card_and_its_number(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Simon Perreault\r\nEMAIL:simon@example.com\r\n"
        "TEL;VALUE=uri;TYPE=work:tel:+1-418-656-9254;ext=102\r\nEND:VCARD\r\n"
    )
    response = upload(logged_in, private_book, "rfc6350.vcf", text)
    assert response.context["report"].errors == []
    assert contact("Simon Perreault") == (
        "",
        [("work", "+1-418-656-9254 ext. 102", "+14186569254")],
        ["simon@example.com"],
    )


def test_a_dial_string_keeps_the_rest_of_the_card_and_is_named_with_its_line(logged_in, private_book):
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Pause Wait\r\nEMAIL:pw@example.com\r\nTEL:p1234p5678w9\r\nEND:VCARD\r\n"
    response = upload(logged_in, private_book, "android.vcf", text)
    assert response.context["report"].errors == []
    assert [line for line, _why in notes(response)] == [5]
    assert "Line 5: “p1234p5678w9” is not a phone number" in response.content.decode()
    _organisation, phones, emails = contact("Pause Wait")
    assert (phones, emails) == ([("other", "p1234p5678w9", "")], ["pw@example.com"])


def test_a_card_is_refused_only_without_a_name_a_number_or_an_email(logged_in, private_book):
    text = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nTEL;TYPE=CELL:+32 475 12 34 56\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:only@example.com\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:nothing to call it by\r\nEND:VCARD\r\n"
    )
    response = upload(logged_in, private_book, "nameless.vcf", text)
    assert response.context["report"].errors == [(10, "no name, number or email")]
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["+32 475 12 34 56", "only@example.com"]


def test_our_export_is_read_by_vobject_as_google_apple_and_outlook_expect(logged_in, private_book):
    # What those products document for import: vCard 3.0, CRLF, FN and N present, folded
    # at 75 octets, TYPE parameters they know (CELL, HOME, WORK, FAX, VOICE, INTERNET).
    text = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Peeters\r\nORG:Peeters\\, Smet & Co\r\n"
        "EMAIL:ann@example.com\r\nTEL;TYPE=CELL:+32 475 12 34 56\r\nTEL;TYPE=FAX:+32 2 555 12 12\r\n"
        "NOTE:Line one\\nLine two with a long text that will need folding at seventy-five octets: ééééé\r\n"
        "END:VCARD\r\n"
    )
    upload(logged_in, private_book, "ann.vcf", text)
    exported = b"".join(logged_in.get(reverse("contact_export")).streaming_content)
    assert all(line.endswith(b"\r") or not line for line in exported.split(b"\n"))
    assert all(len(line.rstrip(b"\r")) <= 75 for line in exported.split(b"\n"))
    (card,) = vobject.readComponents(exported.decode())
    assert card.version.value == "3.0"
    assert card.fn.value == "Ann Peeters" and card.n.value.family == "Ann Peeters"
    assert card.org.value == ["Peeters, Smet & Co"]
    assert card.email.value == "ann@example.com" and card.email.params["TYPE"] == ["INTERNET"]
    assert [(tel.params["TYPE"], tel.value) for tel in card.contents["tel"]] == [
        (["CELL"], "+32475123456"),
        (["FAX"], "+3225551212"),
    ]
    assert card.note.value.startswith("Line one\nLine two") and card.note.value.endswith("ééééé")
