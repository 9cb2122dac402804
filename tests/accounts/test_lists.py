"""Lists: private or shared, with contacts and free numbers or addresses."""

from django.urls import reverse

from accounts.models import ContactList, ListMember
from tests.factories import ContactFactory, ContactListFactory, GroupFactory, UserFactory


def test_create_a_private_list_and_fill_it(logged_in, user, contact):
    response = logged_in.post(reverse("list_create"), {"name": "Customers", "group": ""})
    customers = ContactList.objects.get(name="Customers")
    assert response.url == reverse("list_detail", args=[customers.pk])
    assert customers.owner == user and customers.group is None

    logged_in.post(reverse("list_add_contact", args=[customers.pk, contact.pk]))
    logged_in.post(reverse("list_detail", args=[customers.pk]), {"entry": "0475 99 88 77"})
    logged_in.post(reverse("list_detail", args=[customers.pk]), {"entry": "info@example.com"})
    assert [str(m) for m in customers.members.all()] == ["Ann Peeters", "+32 475 99 88 77", "info@example.com"]

    page = logged_in.get(reverse("list_detail", args=[customers.pk])).content.decode()
    assert "Ann Peeters" in page and "+32 475 99 88 77" in page


def test_the_same_entry_is_not_added_twice(logged_in, user, contact):
    customers = ContactListFactory(owner=user)
    logged_in.post(reverse("list_detail", args=[customers.pk]), {"entry": "+32 475 99 88 77"})
    response = logged_in.post(reverse("list_detail", args=[customers.pk]), {"entry": "0032475998877"})
    assert response.status_code == 400
    assert "+32 475 99 88 77 is already in this List" in response.content.decode()
    logged_in.post(reverse("list_add_contact", args=[customers.pk, contact.pk]))
    response = logged_in.post(reverse("list_add_contact", args=[customers.pk, contact.pk]), follow=True)
    assert "Ann Peeters is already in this List" in response.content.decode()
    assert customers.members.count() == 2


def test_bad_entries_are_explained(logged_in, user):
    customers = ContactListFactory(owner=user)
    for entry, message in [("ann@", "is not an email address"), ("12", "too few digits"), ("", "required")]:
        response = logged_in.post(reverse("list_detail", args=[customers.pk]), {"entry": entry})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not customers.members.exists()


def test_a_list_shared_with_a_group_is_seen_by_its_members_only(logged_in, user):
    team = GroupFactory(name="Sales")
    user.groups.add(team)
    logged_in.post(reverse("list_create"), {"name": "Team list", "group": team.pk})
    shared = ContactList.objects.get(name="Team list")
    assert shared.group == team and shared.owner is None

    colleague, stranger = UserFactory(), UserFactory()
    colleague.groups.add(team)
    logged_in.force_login(colleague)
    assert "Team list" in logged_in.get(reverse("list_index")).content.decode()
    logged_in.force_login(stranger)
    assert "Team list" not in logged_in.get(reverse("list_index")).content.decode()


def test_a_list_cannot_be_shared_with_a_group_the_user_is_not_in(logged_in):
    response = logged_in.post(reverse("list_create"), {"name": "Sneaky", "group": GroupFactory().pk})
    assert response.status_code == 400
    assert not ContactList.objects.exists()


def test_remove_a_member_and_delete_the_list(logged_in, user, contact):
    customers = ContactListFactory(owner=user)
    member = ListMember.objects.create(contact_list=customers, contact=contact)
    logged_in.post(reverse("list_member_delete", args=[customers.pk, member.pk]))
    assert not customers.members.exists()
    logged_in.post(reverse("list_delete", args=[customers.pk]))
    assert not ContactList.objects.exists()
    assert ContactFactory._meta.model.objects.filter(pk=contact.pk).exists()  # the contact stays
