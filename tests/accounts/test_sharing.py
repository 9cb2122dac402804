"""Shared data stays shared: only its creator or a group administrator moves it out of a group.

A group member who edits a colleague's group contact into their private book, or sets
a group List to private, would take it from everyone else. That is refused with a form
error and nothing changes; an allowed move leaves a row an administrator reads later.
"""

import pytest
from django.apps import apps
from django.urls import reverse

from accounts.models import Contact, ContactList
from tests.factories import GroupBookFactory, GroupFactory, PrivateBookFactory, UserFactory

from .test_contacts import contact_form


def moves():
    """The audit trail: (what, name, from group, actor) per recorded move."""
    model = apps.get_model("accounts", "SharedDataMove")
    return [(m.kind, m.object_name, m.from_group_name, m.actor_name) for m in model.objects.order_by("id")]


@pytest.fixture
def team(db):
    """A group "Sales" with its book, Cleo who created a contact and a List there, and Max."""
    group = GroupFactory(name="Sales")
    cleo, max_ = UserFactory(username="cleo"), UserFactory(username="max")
    for person in (cleo, max_):
        person.groups.add(group)
    return {"group": group, "book": GroupBookFactory(group=group), "cleo": cleo, "max": max_}


@pytest.fixture
def shared_contact(client, team):
    client.force_login(team["cleo"])
    response = client.post(reverse("contact_create"), contact_form(team["book"], name="Key Customer"))
    assert response.status_code == 302
    client.logout()
    return Contact.objects.get(name="Key Customer")


@pytest.fixture
def shared_list(client, team):
    client.force_login(team["cleo"])
    response = client.post(reverse("list_create"), {"name": "Sales leads", "group": team["group"].pk})
    assert response.status_code == 302
    client.logout()
    return ContactList.objects.get(name="Sales leads")


def test_a_member_cannot_take_a_colleagues_group_contact_private(client, team, shared_contact):
    client.force_login(team["max"])
    private = PrivateBookFactory(owner=team["max"])
    response = client.post(reverse("contact_edit", args=[shared_contact.pk]), contact_form(private, name="Mine now"))
    assert response.status_code == 400
    assert "Only the person who created “Key Customer” or an administrator of Sales" in response.content.decode()
    shared_contact.refresh_from_db()
    assert (shared_contact.book, shared_contact.name) == (team["book"], "Key Customer")
    assert moves() == []
    # Editing it inside the group stays open to every member.
    response = client.post(reverse("contact_edit", args=[shared_contact.pk]), contact_form(team["book"], name="Key"))
    assert response.status_code == 302


def test_a_member_cannot_move_a_group_contact_into_another_group(client, team, shared_contact):
    other = GroupFactory(name="Support")
    team["max"].groups.add(other)
    client.force_login(team["max"])
    response = client.post(
        reverse("contact_edit", args=[shared_contact.pk]), contact_form(GroupBookFactory(group=other))
    )
    assert response.status_code == 400
    shared_contact.refresh_from_db()
    assert shared_contact.book == team["book"]


def test_the_creator_moves_their_group_contact_private_and_it_is_recorded(client, team, shared_contact):
    client.force_login(team["cleo"])
    private = PrivateBookFactory(owner=team["cleo"])
    response = client.post(reverse("contact_edit", args=[shared_contact.pk]), contact_form(private, name="Key"))
    assert response.status_code == 302
    shared_contact.refresh_from_db()
    assert shared_contact.book == private
    assert moves() == [("contact", "Key", "Sales", "cleo")]


@pytest.mark.parametrize("how", ["group_administrator", "superuser"])
def test_a_group_administrator_moves_any_group_contact(client, team, how):
    # A contact from before creators were recorded: no creator, so only an administrator.
    from accounts.services import contact_save

    old = contact_save(book=team["book"], name="Old Customer")
    admin = team["max"]
    if how == "superuser":
        admin.is_superuser = True
        admin.save()
    else:
        apps.get_model("accounts", "GroupAdministrator").objects.create(group=team["group"], user=admin)
    client.force_login(admin)
    response = client.post(reverse("contact_edit", args=[old.pk]), contact_form(PrivateBookFactory(owner=admin)))
    assert response.status_code == 302
    assert moves() == [("contact", "Ann Peeters", "Sales", "max")]


def test_a_member_cannot_make_a_colleagues_group_list_private(client, team, shared_list):
    client.force_login(team["max"])
    response = client.post(reverse("list_edit", args=[shared_list.pk]), {"name": "Mine", "group": ""})
    assert response.status_code == 400
    assert "Only the person who created “Sales leads” or an administrator of Sales" in response.content.decode()
    shared_list.refresh_from_db()
    assert (shared_list.name, shared_list.group, shared_list.owner) == ("Sales leads", team["group"], None)
    # Renaming it within the group stays open to every member.
    response = client.post(reverse("list_edit", args=[shared_list.pk]), {"name": "Leads", "group": team["group"].pk})
    assert response.status_code == 302
    assert moves() == []


def test_the_creator_makes_their_group_list_private_and_it_is_recorded(client, team, shared_list):
    client.force_login(team["cleo"])
    response = client.post(reverse("list_edit", args=[shared_list.pk]), {"name": "Sales leads", "group": ""})
    assert response.status_code == 302
    shared_list.refresh_from_db()
    assert (shared_list.group, shared_list.owner) == (None, team["cleo"])
    assert moves() == [("list", "Sales leads", "Sales", "cleo")]


def test_administrators_read_the_trail_and_cannot_change_it(client, team, shared_list):
    client.force_login(team["cleo"])
    client.post(reverse("list_edit", args=[shared_list.pk]), {"name": "Sales leads", "group": ""})
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:accounts_shareddatamove_changelist")).content.decode()
    assert "Sales leads" in page and "cleo" in page
    assert client.get(reverse("admin:accounts_shareddatamove_add")).status_code == 403
    move = apps.get_model("accounts", "SharedDataMove").objects.get()
    change = client.post(reverse("admin:accounts_shareddatamove_change", args=[move.pk]), {"object_name": "x"})
    assert change.status_code in (200, 403)
    move.refresh_from_db()
    assert move.object_name == "Sales leads"
