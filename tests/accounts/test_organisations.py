"""Owners and admins manage their organisation from its page; invitations by signed link; shared contacts."""

import datetime as dt

import pytest
from django.core import mail, signing
from django.urls import reverse

from accounts.models import Invitation, InvitationStatus, Membership, Role
from accounts.services import (
    OrganisationError,
    invitation_accept,
    invitation_create,
    invitation_token,
    membership_add,
    membership_remove,
    organisation_create,
)
from tests.factories import ContactFactory, ContactListFactory, GroupBookFactory, UserFactory


@pytest.fixture
def acme(db):
    owner = UserFactory(full_name="Olga Owner", email="olga@acme.test")
    member = UserFactory(full_name="Max Member", email="max@acme.test")
    organisation = organisation_create(name="Acme", owner=owner)
    membership_add(organisation=organisation, user=member)
    return organisation, owner, member


def invite(client, email, role="member"):
    return client.post(reverse("organisation_invite"), {"email": email, "role": role})


def test_an_owner_invites_by_email_and_the_invited_person_signs_up_and_joins(
    acme, client, django_capture_on_commit_callbacks
):
    organisation, owner, _member = acme
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(client, "new@example.org", "admin").status_code == 302
    (email,) = mail.outbox
    assert email.to == ["new@example.org"] and "Acme" in email.subject
    link = next(line for line in email.body.splitlines() if "/invitations/" in line)
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Acme" in page.content.decode()
    joined = client.post(link, {"username": "newbie", "full_name": "New Person", "password": "a long passphrase 42"})
    assert joined.status_code == 302
    membership = Membership.objects.get(user__username="newbie")
    assert (membership.organisation, membership.role, membership.user.email) == (organisation, Role.ADMIN, email.to[0])
    assert client.post(link).status_code == 400  # used once


def test_a_logged_in_user_accepts_an_invitation(acme, client):
    organisation, owner, _member = acme
    guest = UserFactory(email="guest@example.org")
    invitation = invitation_create(organisation=organisation, email=guest.email, role="member", invited_by=owner)
    client.force_login(guest)
    url = reverse("invitation_accept", kwargs={"token": invitation_token(invitation=invitation)})
    assert client.post(url).status_code == 302
    assert Membership.objects.get(user=guest).organisation == organisation


@pytest.mark.parametrize(
    ("email", "reason"),
    [("not an address", "is not an email address"), ("max@acme.test", "already a member")],
)
def test_bad_invitations_are_refused_with_the_reason_and_nothing_written(acme, client, email, reason):
    _organisation, owner, _member = acme
    client.force_login(owner)
    response = invite(client, email)
    assert response.status_code == 400 and reason in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_tampered_expired_and_revoked_links_are_refused_with_the_reason(acme, client, settings):
    organisation, owner, _member = acme
    guest = UserFactory()
    client.force_login(guest)
    invitation = invitation_create(organisation=organisation, email="g@example.org", role="member", invited_by=owner)
    token = invitation_token(invitation=invitation)
    tampered = client.post(reverse("invitation_accept", kwargs={"token": token[:-2] + "xx"}))
    assert tampered.status_code == 400 and "not valid" in tampered.content.decode()
    # A link signed 8 days ago: the signer's clock moved back.
    expired_token = signing.TimestampSigner(salt="accounts.invitation")
    expired_token.timestamp = lambda: signing.b62_encode(int((dt.datetime.now() - dt.timedelta(days=8)).timestamp()))
    expired = client.post(reverse("invitation_accept", kwargs={"token": expired_token.sign(str(invitation.pk))}))
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    client.force_login(owner)
    client.post(reverse("organisation_invitation_revoke", args=[invitation.pk]))
    client.force_login(guest)
    revoked = client.post(reverse("invitation_accept", kwargs={"token": token}))
    assert revoked.status_code == 400 and "revoked" in revoked.content.decode()
    assert not Membership.objects.filter(user=guest).exists()
    assert Invitation.objects.get().status == InvitationStatus.REVOKED


def test_owners_change_roles_and_limits_but_never_leave_no_owner(acme, client):
    _organisation, owner, member = acme
    client.force_login(owner)
    edit = reverse("organisation_member_edit", args=[member.membership.pk])
    client.post(edit, {"role": "admin", "monthly_limit": "40"})
    member.membership.refresh_from_db()
    assert (member.membership.role, member.membership.monthly_limit) == (Role.ADMIN, 40)
    page = client.post(reverse("organisation_member_edit", args=[owner.membership.pk]), {"role": "member"}, follow=True)
    assert "at least one owner" in page.content.decode()
    refused = client.post(edit, {"role": "member", "monthly_limit": "99999999"}, follow=True)
    assert "between 0 and" in refused.content.decode()
    member.membership.refresh_from_db()
    assert (member.membership.role, member.membership.monthly_limit) == (Role.ADMIN, 40)  # nothing half-written
    client.post(reverse("organisation_member_remove", args=[member.membership.pk]))
    assert not Membership.objects.filter(user=member).exists()


def test_a_plain_member_sees_the_members_but_cannot_manage(acme, client):
    _organisation, owner, member = acme
    client.force_login(member)
    page = client.get(reverse("organisation")).content.decode()
    assert "Olga Owner" in page and "invite-form" not in page
    assert invite(client, "x@example.org").status_code == 403
    assert (
        client.post(reverse("organisation_member_edit", args=[owner.membership.pk]), {"role": "member"}).status_code
        == 404
    )
    assert client.post(reverse("organisation_member_remove", args=[owner.membership.pk])).status_code == 404
    assert Membership.objects.get(user=owner).role == Role.OWNER


def test_leaving_removes_access_to_the_shared_book_and_lists_at_once(acme, client):
    organisation, _owner, member = acme
    book = GroupBookFactory(group=organisation.group)
    contact = ContactFactory(book=book)
    shared_list = ContactListFactory(owner=None, group=organisation.group)
    client.force_login(member)
    routes = [
        reverse("contact_detail", args=[contact.pk]),
        reverse("contact_edit", args=[contact.pk]),
        reverse("list_detail", args=[shared_list.pk]),
        reverse("list_edit", args=[shared_list.pk]),
    ]
    assert [client.get(url).status_code for url in routes] == [200] * 4
    membership_remove(membership=member.membership)
    assert [client.get(url).status_code for url in routes] == [404] * 4
    assert client.get(reverse("contact_index"), {"book": book.pk}).status_code == 404


def test_an_invitation_accepted_by_someone_already_in_an_organisation_is_refused(acme):
    organisation, owner, _member = acme
    other = organisation_create(name="Other", owner=UserFactory())
    invitation = invitation_create(organisation=other, email="olga@acme.test", role="member", invited_by=None)
    with pytest.raises(OrganisationError, match="already a member of Acme"):
        invitation_accept(token=invitation_token(invitation=invitation), user=owner)
    assert Invitation.objects.get().status == InvitationStatus.PENDING
    assert organisation.memberships.count() == 2
