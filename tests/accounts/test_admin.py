"""Administrators manage users, groups, memberships, address books, contacts and Lists."""

import pytest
from django.urls import reverse

from accounts.models import AddressBook, User
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
