"""Administrators manage users, groups, memberships, address books, contacts and Lists."""

import pytest
from django.urls import reverse

from accounts.models import AddressBook, User
from accounts.selectors import contacts_search
from accounts.services import PhoneEntry, address_books_ensure, contact_save
from tests.factories import ContactFactory, ContactListFactory, GroupFactory, UserFactory


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model", ["accounts_user", "auth_group", "accounts_addressbook", "accounts_contact", "accounts_contactlist"]
)
def test_every_admin_page_opens(admin_client, model):
    ContactFactory()
    ContactListFactory()
    assert admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 200


def test_admin_adds_a_user_to_a_group_and_the_groups_book_exists(admin_client):
    team = GroupFactory(name="Support")
    admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "full_name": "New Bie",
            "email": "n@example.com",
            "password1": "x-Long-passphrase-1",
            "password2": "x-Long-passphrase-1",
            "usable_password": "true",
        },
    )
    newbie = User.objects.get(username="newbie")
    data = {
        "username": "newbie",
        "full_name": "New Bie",
        "email": "n@example.com",
        "mobile": "",
        "time_zone": "UTC",
        "language": "en",
        "default_country": "BE",
        "sms_signature": "",
        "is_active": "on",
        "groups": [team.pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    response = admin_client.post(reverse("admin:accounts_user_change", args=[newbie.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(newbie.groups.all()) == [team]
    assert AddressBook.objects.filter(owner=newbie).exists()
    assert AddressBook.objects.filter(group=team).exists()


def test_the_admin_is_for_staff_only(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:accounts_contact_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_a_contact_renamed_in_the_admin_is_found_by_its_new_name(admin_client, user):
    book = address_books_ensure(user=user)[0]
    contact = contact_save(
        book=book, name="Old Name", phone_entries=[PhoneEntry("mobile", "+32 475 12 34 56", "+32475123456")]
    )
    response = admin_client.post(
        reverse("admin:accounts_contact_change", args=[contact.pk]),
        {
            "name": "Brand New",
            "organisation": "Acme",
            "notes": "",
            **_empty_inline("phones"),
            **_empty_inline("emails"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [c.name for c in contacts_search(user=user, query="brand new")] == ["Brand New"]
    assert [c.name for c in contacts_search(user=user, query="acme")] == ["Brand New"]
    assert list(contact.phones.values_list("e164", flat=True)) == ["+32475123456"]  # numbers kept


def test_a_number_added_to_a_list_in_the_admin_is_stored_in_e164(admin_client):
    belgian = UserFactory(default_country="BE")
    contact_list = ContactListFactory(owner=belgian, name="Crew")
    response = admin_client.post(
        reverse("admin:accounts_contactlist_change", args=[contact_list.pk]),
        {
            "name": "Crew",
            "owner": belgian.pk,
            "group": "",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-0-contact": "",
            "members-0-phone": "0475 12 34 56",
            "members-0-email": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(contact_list.members.values_list("phone", flat=True)) == ["+32475123456"]


def test_an_unreadable_number_for_a_list_is_refused_in_the_admin_and_nothing_is_added(admin_client):
    contact_list = ContactListFactory(name="Crew")
    response = admin_client.post(
        reverse("admin:accounts_contactlist_change", args=[contact_list.pk]),
        {
            "name": "Crew",
            "owner": contact_list.owner.pk,
            "group": "",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-0-contact": "",
            "members-0-phone": "12",
            "members-0-email": "",
        },
    )
    assert response.status_code == 200  # the form again, with the number's error
    assert "errorlist" in response.content.decode()
    assert not contact_list.members.exists()


def _empty_inline(prefix: str) -> dict:
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}


def test_operators_create_an_organisation_and_add_members_in_the_admin(admin_client):
    from accounts.models import Membership, Organisation, Role

    owner, member = UserFactory(), UserFactory()
    response = admin_client.post(reverse("admin:accounts_organisation_add"), {"name": "Acme", "owner": owner.pk})
    assert response.status_code == 302, response.content
    organisation = Organisation.objects.get(name="Acme")
    assert Membership.objects.get(user=owner).role == Role.OWNER
    assert admin_client.get(reverse("admin:accounts_organisation_change", args=[organisation.pk])).status_code == 200
    add = reverse("admin:accounts_membership_add")
    refused = admin_client.post(
        add, {"organisation": organisation.pk, "user": member.pk, "role": "member", "monthly_limit": "2000000"}
    )
    assert refused.status_code == 200 and "between 0 and" in refused.content.decode()
    assert not Membership.objects.filter(user=member).exists()
    admin_client.post(add, {"organisation": organisation.pk, "user": member.pk, "role": "member", "monthly_limit": "9"})
    assert Membership.objects.get(user=member).monthly_limit == 9
    assert organisation.group in member.groups.all()
    last_owner = Membership.objects.get(user=owner)
    demoted = admin_client.post(
        reverse("admin:accounts_membership_change", args=[last_owner.pk]), {"role": "member", "monthly_limit": ""}
    )
    assert "at least one owner" in demoted.content.decode()
    assert Membership.objects.get(user=owner).role == Role.OWNER
