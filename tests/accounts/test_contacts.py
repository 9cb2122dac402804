"""Contacts: create and edit with several numbers and emails, search, SMS links."""

import pytest
from django.urls import reverse

from accounts.models import AddressBook, Contact
from accounts.services import PhoneEntry, contact_save, phone_entry
from tests.factories import ContactFactory, ContactPhoneFactory, GroupFactory


def contact_form(book, name="Ann Peeters", phones=(), emails=(), **fields):
    data = {"book": book.pk, "name": name, "organisation": "", "notes": "", **fields}
    data.update({"phones-TOTAL_FORMS": str(len(phones)), "phones-INITIAL_FORMS": "0"})
    for index, (label, number) in enumerate(phones):
        data[f"phones-{index}-label"] = label
        data[f"phones-{index}-number"] = number
    data.update({"emails-TOTAL_FORMS": str(len(emails)), "emails-INITIAL_FORMS": "0"})
    for index, address in enumerate(emails):
        data[f"emails-{index}-address"] = address
    return data


def test_new_user_gets_a_private_book_and_one_per_group(logged_in, user):
    user.groups.add(GroupFactory(name="Sales"))
    response = logged_in.get(reverse("contact_create"))
    assert response.status_code == 200
    books = AddressBook.objects.filter(owner=user) | AddressBook.objects.filter(group__name="Sales")
    assert books.count() == 2
    assert "Sales" in response.content.decode()


def test_create_a_contact_with_several_numbers_and_emails(logged_in, private_book):
    response = logged_in.post(
        reverse("contact_create"),
        contact_form(
            private_book,
            organisation="Peeters & Co",
            phones=[("mobile", "0475 12 34 56"), ("work", "+32 2 555 12 12"), ("fax", "")],
            emails=["ann@example.com", "ann.peeters@work.example", ""],
        ),
    )
    contact = Contact.objects.get(name="Ann Peeters")
    assert response.status_code == 302
    assert [(p.label, p.e164) for p in contact.phones.all()] == [("mobile", "+32475123456"), ("work", "+3225551212")]
    assert [e.address for e in contact.emails.all()] == ["ann@example.com", "ann.peeters@work.example"]
    assert contact.organisation == "Peeters & Co"


def test_the_type_pull_down_changes_a_numbers_type(logged_in, contact):
    ContactPhoneFactory(contact=contact, label="mobile")
    logged_in.post(
        reverse("contact_edit", args=[contact.pk]),
        contact_form(contact.book, name=contact.name, phones=[("home", "+32 475 12 34 56")]),
    )
    assert [p.label for p in contact.phones.all()] == ["home"]


def test_a_bad_number_is_explained_and_nothing_is_saved(logged_in, private_book):
    response = logged_in.post(
        reverse("contact_create"),
        contact_form(private_book, phones=[("mobile", "+32 475 12")], emails=["ann@example.com"]),
    )
    assert response.status_code == 400
    assert "too few digits for Belgium" in response.content.decode()
    assert not Contact.objects.exists()


def test_a_bad_email_is_explained_and_nothing_is_saved(logged_in, private_book):
    response = logged_in.post(reverse("contact_create"), contact_form(private_book, emails=["ann@"]))
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert not Contact.objects.exists()


def test_a_name_is_required(logged_in, private_book):
    response = logged_in.post(reverse("contact_create"), contact_form(private_book, name=" "))
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_a_mobile_number_is_a_link_to_the_sms_composer_and_others_say_why_not(logged_in, contact):
    ContactPhoneFactory(contact=contact, label="mobile", e164="+32475123456")
    ContactPhoneFactory(contact=contact, label="home", e164="+32475654321", raw="+32 475 65 43 21")
    ContactPhoneFactory(contact=contact, label="mobile", e164="", raw="0475 11 22 33")
    ContactPhoneFactory(contact=contact, label="mobile", e164="+3225551212", raw="+32 2 555 12 12")
    page = logged_in.get(reverse("contact_detail", args=[contact.pk])).content.decode()
    assert 'href="/sms/new/?to=%2B32475123456"' in page
    assert page.count('href="/sms/new/') == 1
    assert "No SMS: labelled home, not mobile." in page
    assert "No SMS: not in international format." in page
    assert "No SMS: a fixed-line number, not a mobile." in page


def test_the_sms_link_opens_the_composer_with_the_recipient(logged_in, contact):
    ContactPhoneFactory(contact=contact, e164="+32475123456")
    response = logged_in.get(reverse("sms_compose"), {"to": "+32475123456"})
    assert "+32 475 12 34 56" in response.content.decode()
    assert "Ann Peeters" in response.content.decode()


def test_the_composer_entry_explains_a_bad_number(logged_in):
    response = logged_in.get(reverse("sms_compose"), {"to": "+32 2 555 12 12"})
    assert response.status_code == 400
    assert "is not a mobile number" in response.content.decode()


def test_delete_a_contact(logged_in, contact):
    logged_in.post(reverse("contact_delete", args=[contact.pk]))
    assert not Contact.objects.filter(pk=contact.pk).exists()


@pytest.fixture
def searchable(private_book):
    ann = contact_save(
        book=private_book,
        name="Ann Peeters",
        organisation="Acme",
        emails=["ann@peeters.example"],
        phone_entries=[PhoneEntry(label="mobile", raw="0475 12 34 56", e164="+32475123456")],
    )
    bob = contact_save(
        book=private_book, name="Bob Janssens", phone_entries=[PhoneEntry(label="work", raw="", e164="+33612345678")]
    )
    return ann, bob


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("ann", {"Ann Peeters"}),
        ("AN", {"Ann Peeters", "Bob Janssens"}),
        ("peet", {"Ann Peeters"}),
        ("ACME", {"Ann Peeters"}),
        ("0475 12 34", {"Ann Peeters"}),
        ("+32 475", {"Ann Peeters"}),
        ("0033 6 12", {"Bob Janssens"}),
        ("peeters.example", {"Ann Peeters"}),
        ("PEETERS.EX", {"Ann Peeters"}),
        ("100%", set()),  # LIKE wildcards in a query are plain characters
        ("zzz", set()),
        ("", {"Ann Peeters", "Bob Janssens"}),
    ],
)
def test_search_by_name_number_or_email(logged_in, searchable, query, found):
    response = logged_in.get(reverse("contact_index"), {"q": query})
    assert {c.name for c in response.context["page"].object_list} == found


def test_the_list_is_paginated(logged_in, private_book):
    ContactFactory.create_batch(30, book=private_book)
    first = logged_in.get(reverse("contact_index"))
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = logged_in.get(reverse("contact_index"), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert logged_in.get(reverse("contact_index"), {"page": "nonsense"}).status_code == 200


def test_unreadable_national_number_is_kept_only_when_importing():
    kept = phone_entry(raw="0475 12 34 56", label="mobile", default_region=None, keep_unreadable=True)
    assert (kept.raw, kept.e164) == ("0475 12 34 56", "")
