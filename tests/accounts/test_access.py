"""Nobody reaches another user's private objects, nor a group's objects unless a member.

Every URL that takes an object id is checked here, for reading and for writing
(GET and POST): another user gets a 404 and nothing changes. A new route with an
id that this table does not cover fails `test_every_route_with_an_id_is_covered`.
"""

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Contact, ContactList, Invitation, ListMember, Membership
from accounts.services import invitation_create, membership_add, organisation_create
from broadcasts.models import Broadcast
from mailalerts.models import Mailbox, MailFilter
from messaging.models import IncomingSMS, Message, MessageTemplate
from reminders.models import Event, Reminder
from reminders.services.calendars import calendar_create, event_save, reminder_add
from tests.factories import (
    ContactFactory,
    ContactListFactory,
    ContactPhoneFactory,
    GroupBookFactory,
    GroupFactory,
    PrivateBookFactory,
    UserFactory,
)

# url name -> how to build its kwargs from the objects of one scope (private or group).
ROUTES = {
    "contact_detail": lambda o: {"contact_id": o["contact"].pk},
    "contact_edit": lambda o: {"contact_id": o["contact"].pk},
    "contact_delete": lambda o: {"contact_id": o["contact"].pk},
    "list_detail": lambda o: {"list_id": o["list"].pk},
    "list_edit": lambda o: {"list_id": o["list"].pk},
    "list_delete": lambda o: {"list_id": o["list"].pk},
    "list_add_contact": lambda o: {"list_id": o["list"].pk, "contact_id": o["contact"].pk},
    "list_member_delete": lambda o: {"list_id": o["list"].pk, "member_id": o["member"].pk},
    "sms_detail": lambda o: {"message_id": o["message"].pk},
    "calendar_export": lambda o: {"calendar_id": o["calendar"].pk},
    "event_detail": lambda o: {"event_id": o["event"].pk},
    "event_edit": lambda o: {"event_id": o["event"].pk},
    "event_cancel": lambda o: {"event_id": o["event"].pk},
    "event_delete": lambda o: {"event_id": o["event"].pk},
    "reminder_delete": lambda o: {"reminder_id": o["reminder"].pk},
    "sms_cancel": lambda o: {"message_id": o["message"].pk},
    "sms_conversation": lambda o: {"reply_id": o["reply"].pk},
    "sms_export": lambda o: {"message_id": o["message"].pk},
    "messages_detail": lambda o: {"broadcast_id": o["broadcast"].pk},
    "message_template_delete": lambda o: {"template_id": o["template"].pk},
    "mailalerts_mailbox_edit": lambda o: {"mailbox_id": o["mailbox"].pk},
    "mailalerts_mailbox_test": lambda o: {"mailbox_id": o["mailbox"].pk},
    "mailalerts_mailbox_delete": lambda o: {"mailbox_id": o["mailbox"].pk},
    "mailalerts_filter_edit": lambda o: {"filter_id": o["filter"].pk},
    "mailalerts_filter_move": lambda o: {"filter_id": o["filter"].pk},
    "mailalerts_filter_delete": lambda o: {"filter_id": o["filter"].pk},
    "organisation_member_edit": lambda o: {"membership_id": o["membership"].pk},
    "organisation_member_remove": lambda o: {"membership_id": o["membership"].pk},
    "organisation_invitation_revoke": lambda o: {"invitation_id": o["invitation"].pk},
}
# Pages that take an id in the query string.
QUERY_ROUTES = {
    "contact_index": lambda o: {"book": o["book"].pk},
    "contact_export": lambda o: {"book": o["book"].pk},
    "messages_compose": lambda o: {"template": o["template"].pk},
}

# Routes whose path parameters are not object ids, with the reason.
NOT_OBJECT_IDS = {
    "password_reset_confirm": "a signed, expiring token that Django checks",
    "sms_status_callback": "a gateway name; the provider's signature is checked instead of a login",
    "sms_incoming": "a gateway name; the provider's signature is checked instead of a login",
    "invitation_accept": "a signed, expiring token that accounts.services.invitation_from_token checks",
}
# API routes with an id: another user's object is a 404 on read and delete.
API_ROUTES = {
    "api_message": lambda o: {"message_id": o["message"].pk},
}
# API routes with an id that take a POST (an action on the object): another user's is a 404.
API_POST_ROUTES = {
    "api_reply_read": lambda o: {"reply_id": o["reply"].pk},
}


def routes_with_ids(resolver: URLResolver | None = None) -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":  # the admin checks staff permissions itself
                names |= routes_with_ids(pattern)
        elif isinstance(pattern, URLPattern) and pattern.pattern.converters:
            names.add(pattern.name)
    return names


def test_every_route_with_an_id_is_covered():
    assert routes_with_ids() - set(NOT_OBJECT_IDS) == set(ROUTES) | set(API_ROUTES) | set(API_POST_ROUTES)


# The methods test_outsider_gets_404_from_the_api tries on each API route.
API_METHODS_CHECKED = {"get", "delete"}


def test_every_api_operation_with_an_id_is_covered():
    """Walks the OpenAPI schema: each operation on a path with an id is one this file checks."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    uncovered = []
    for path, operations in schema["paths"].items():
        if "{" not in path:
            continue
        name = resolve(re.sub(r"\{[^}]+\}", "1", path)).url_name
        uncovered += [
            f"{method.upper()} {path}"
            for method in operations
            if not (name in API_ROUTES and method in API_METHODS_CHECKED)
            and not (name in API_POST_ROUTES and method == "post")
        ]
    assert uncovered == []


def scope_objects(book, owner=None, group=None):
    contact = ContactFactory(book=book)
    ContactPhoneFactory(contact=contact)
    contact_list = ContactListFactory(owner=owner, group=group)
    member = ListMember.objects.create(contact_list=contact_list, contact=contact)
    message = Message.objects.create(
        user=owner or UserFactory(),
        body="hi",
        text="hi",
        encoding="GSM-7",
        segments=1,
        credits_held=1,
        gateway="default",
        status="sending",
    )
    broadcast = Broadcast.objects.create(
        user=message.user, subject="Secret", body="hi", channels="email", person_count=0
    )
    template = MessageTemplate.objects.create(user=message.user, name="Secret", subject="s", body="b", channels="sms")
    calendar = calendar_create(name="Cal", owner=owner, group=group)
    start = timezone.now() + dt.timedelta(days=2)
    event = event_save(
        calendar=calendar,
        title="Secret meeting",
        start=start,
        end=start + dt.timedelta(hours=1),
        time_zone="Europe/Brussels",
    )
    reminder = reminder_add(event=event, user=message.user, minutes_before=15)
    mailbox = Mailbox.objects.create(
        user=message.user, name="Secret", host="imap.example.com", port=993, username="x", password_encrypted=b"x"
    )
    mail_filter = MailFilter.objects.create(user=message.user, name="Secret", subject="x")
    reply = IncomingSMS.objects.create(
        gateway="default",
        provider_id=f"SM{message.pk}",
        from_number="+32475123456",
        text="Secret reply",
        received_at=timezone.now(),
        user=message.user,
    )
    organisation = organisation_create(name=f"Org of {message.user.username}", owner=message.user)
    invitation = invitation_create(organisation=organisation, email="x@example.org", role="member", invited_by=None)
    return {
        "reply": reply,
        "membership": message.user.membership,
        "invitation": invitation,
        "book": book,
        "contact": contact,
        "list": contact_list,
        "member": member,
        "message": message,
        "calendar": calendar,
        "event": event,
        "reminder": reminder,
        "broadcast": broadcast,
        "template": template,
        "mailbox": mailbox,
        "filter": mail_filter,
    }


@pytest.fixture
def private_objects(db):
    owner = UserFactory()
    return scope_objects(PrivateBookFactory(owner=owner), owner=owner)


@pytest.fixture
def group_objects(db):
    group = GroupFactory()
    return {"group": group, **scope_objects(GroupBookFactory(group=group), group=group)}


def snapshot():
    return (
        list(Event.objects.values_list("id", "title", "status").order_by("id")),
        list(Reminder.objects.values_list("id").order_by("id")),
        list(Contact.objects.values_list("id", "name", "book_id").order_by("id")),
        list(ContactList.objects.values_list("id", "name", "owner_id", "group_id").order_by("id")),
        list(ListMember.objects.values_list("id").order_by("id")),
        list(MessageTemplate.objects.values_list("id", "name").order_by("id")),
        list(Mailbox.objects.values_list("id", "name", "host", "active").order_by("id")),
        list(MailFilter.objects.values_list("id", "name", "position").order_by("id")),
        list(IncomingSMS.objects.values_list("id", "user_id", "read_at").order_by("id")),
        list(Membership.objects.values_list("id", "role", "monthly_limit").order_by("id")),
        list(Invitation.objects.values_list("id", "status").order_by("id")),
    )


@pytest.mark.parametrize("name", sorted(ROUTES))
@pytest.mark.parametrize("scope", ["private_objects", "group_objects"])
def test_outsider_gets_404_on_read_and_write(client, request, scope, name):
    objects = request.getfixturevalue(scope)
    outsider = UserFactory()
    outsider.groups.add(GroupFactory())  # in some group, just not this one
    client.force_login(outsider)
    url = reverse(name, kwargs=ROUTES[name](objects))
    before = snapshot()
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"name": "stolen", "book": objects["book"].pk, "entry": "+32475999999"}).status_code == 404
    assert snapshot() == before


ORGANISATION_ROUTES = sorted(name for name in ROUTES if name.startswith("organisation_"))


@pytest.mark.parametrize("name", ORGANISATION_ROUTES)
@pytest.mark.parametrize("scope", ["private_objects", "group_objects"])
def test_a_member_or_owner_of_another_organisation_gets_404_and_a_plain_member_404(client, request, scope, name):
    objects = request.getfixturevalue(scope)
    rival = UserFactory()
    organisation_create(name="Rival", owner=rival)  # an owner, of another organisation
    plain = UserFactory()
    membership_add(organisation=objects["membership"].organisation, user=plain)  # a member, not a manager
    url = reverse(name, kwargs=ROUTES[name](objects))
    before = snapshot()
    for person in (rival, plain):
        client.force_login(person)
        assert client.post(url, {"role": "member", "monthly_limit": "1"}).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("name", sorted(API_ROUTES))
@pytest.mark.parametrize("scope", ["private_objects", "group_objects"])
def test_outsider_gets_404_from_the_api(client, request, scope, name):
    objects = request.getfixturevalue(scope)
    client.force_login(UserFactory())
    url = reverse(name, kwargs=API_ROUTES[name](objects))
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404
    assert Message.objects.filter(pk=objects["message"].pk, status="sending").exists()


@pytest.mark.parametrize("name", sorted(API_POST_ROUTES))
@pytest.mark.parametrize("scope", ["private_objects", "group_objects"])
def test_outsider_gets_404_from_the_api_actions(client, request, scope, name):
    objects = request.getfixturevalue(scope)
    client.force_login(UserFactory())
    before = snapshot()
    assert client.post(reverse(name, kwargs=API_POST_ROUTES[name](objects))).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("scope", ["private_objects", "group_objects"])
def test_the_send_api_refuses_other_peoples_contacts_and_lists_by_id(client, request, scope):
    objects = request.getfixturevalue(scope)
    outsider = UserFactory()
    client.force_login(outsider)
    before = Message.objects.count()
    body = {"contacts": [objects["contact"].pk], "lists": [objects["list"].pk], "body": "hi"}
    response = client.post(reverse("api_messages"), body, content_type="application/json")
    assert response.status_code == 400
    fields = [(error["field"], error["input"]) for error in response.json()["errors"]]
    assert fields == [("contacts", str(objects["contact"].pk)), ("lists", str(objects["list"].pk))]
    assert Message.objects.count() == before


@pytest.mark.parametrize("name", sorted(QUERY_ROUTES))
@pytest.mark.parametrize("scope", ["private_objects", "group_objects"])
def test_outsider_gets_404_for_ids_in_the_query_string(client, request, scope, name):
    objects = request.getfixturevalue(scope)
    client.force_login(UserFactory())
    assert client.get(reverse(name), QUERY_ROUTES[name](objects)).status_code == 404


@pytest.mark.parametrize("scope", ["private_objects", "group_objects"])
def test_the_composer_never_names_a_contact_the_user_cannot_see(client, request, scope):
    objects = request.getfixturevalue(scope)
    client.force_login(UserFactory())
    page = client.get(reverse("sms_compose"), {"to": "+32475123456"}).content.decode()
    assert "+32 475 12 34 56" in page and objects["contact"].name not in page


def test_group_members_read_and_edit_the_groups_book(client, group_objects):
    member = UserFactory()
    member.groups.add(group_objects["group"])
    client.force_login(member)
    contact = group_objects["contact"]
    assert client.get(reverse("contact_detail", args=[contact.pk])).status_code == 200
    response = client.post(
        reverse("contact_edit", args=[contact.pk]),
        {
            "book": group_objects["book"].pk,
            "name": "Renamed by a colleague",
            "phones-TOTAL_FORMS": "0",
            "phones-INITIAL_FORMS": "0",
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Renamed by a colleague"
    assert client.get(reverse("list_detail", args=[group_objects["list"].pk])).status_code == 200


def test_a_contact_cannot_be_moved_into_a_book_the_user_cannot_see(client, private_objects, group_objects):
    owner = private_objects["book"].owner
    client.force_login(owner)
    contact = private_objects["contact"]
    response = client.post(
        reverse("contact_edit", args=[contact.pk]),
        {
            "book": group_objects["book"].pk,
            "name": "Moved",
            "phones-TOTAL_FORMS": "0",
            "phones-INITIAL_FORMS": "0",
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400
    contact.refresh_from_db()
    assert contact.book == private_objects["book"]


def test_search_never_shows_other_peoples_contacts(client, private_objects, group_objects):
    client.force_login(UserFactory())
    response = client.get(reverse("contact_index"), {"q": "Contact"})
    assert private_objects["contact"].name not in response.content.decode()
    assert group_objects["contact"].name not in response.content.decode()


# Lost access: a user who can no longer see a contact reaches it by no path, not even
# through a List of theirs that still names it. Free numbers on the List still go.
GINA_NUMBER = "+32486112233"
GINA_NEW_NUMBER = "+32486999999"
FREE_NUMBER = "+32475123456"
EMPTY_SETS = {f"{prefix}-{part}": "0" for prefix in ("phones", "emails") for part in ("TOTAL_FORMS", "INITIAL_FORMS")}


def contact_form(book, name, number):
    return {
        **EMPTY_SETS,
        "book": book.pk,
        "name": name,
        "phones-TOTAL_FORMS": "1",
        "phones-0-label": "mobile",
        "phones-0-number": number,
        "emails-TOTAL_FORMS": "1",
        "emails-0-address": "gina@example.org",
    }


@pytest.fixture(params=["former_group_member", "moved_contact"])
def lost_access(request, db, client):
    """A user whose private List names a group contact they can no longer see.

    former_group_member: the user added the group's contact to their List, then left the group.
    moved_contact: a colleague who created the contact moved it into their private book
    and changed its name and number there.
    Returns (user, the List, the contact, what must never show: its name and numbers).
    """
    from credits.models import Plan

    Plan.objects.get_or_create(name="Standard", defaults={"monthly_allowance": 20, "is_default": True})
    group = GroupFactory()
    user, colleague = UserFactory(), UserFactory()
    user.groups.add(group)
    colleague.groups.add(group)
    group_book = GroupBookFactory(group=group)
    client.force_login(colleague)
    client.post(reverse("contact_create"), contact_form(group_book, "Gina Group", GINA_NUMBER))
    contact = Contact.objects.get(name="Gina Group")
    mine = ContactListFactory(owner=user, name="Mine")
    ListMember.objects.create(contact_list=mine, contact=contact)
    ListMember.objects.create(contact_list=mine, phone=FREE_NUMBER)
    if request.param == "former_group_member":
        user.groups.remove(group)
    else:
        private = PrivateBookFactory(owner=colleague)
        response = client.post(
            reverse("contact_edit", args=[contact.pk]), contact_form(private, "Gina Private", GINA_NEW_NUMBER)
        )
        assert response.status_code == 302
    contact.refresh_from_db()
    client.logout()
    secrets = [contact.name, "Gina", "+32 486", "486112233", "486999999", "gina@example.org"]
    return user, mine, contact, secrets


def test_lost_access_the_contact_page_is_a_404(client, lost_access):
    user, _mine, contact, _secrets = lost_access
    client.force_login(user)
    assert client.get(reverse("contact_detail", args=[contact.pk])).status_code == 404


def test_lost_access_the_list_page_hides_the_member_and_says_so(client, lost_access):
    user, mine, _contact, secrets = lost_access
    client.force_login(user)
    page = client.get(reverse("list_detail", args=[mine.pk])).content.decode()
    assert "+32 475 12 34 56" in page
    assert "1 member is no longer in your address books" in page
    assert [secret for secret in secrets if secret in page] == []


def test_lost_access_sending_to_the_list_from_the_sms_page_reaches_free_numbers_only(
    client, lost_access, locmem_gateway, django_capture_on_commit_callbacks
):
    user, mine, _contact, secrets = lost_access
    client.force_login(user)
    # The composer's counter counts what will be sent to.
    page = client.post(
        reverse("sms_compose"), {"body": "hi", "idempotency_key": "k0", "action": f"add_list:{mine.pk}"}
    ).content.decode()
    assert "List: Mine" in page and "1 member<" in page and "1 recipient" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sms_compose"), {"body": "hi", "idempotency_key": "k1", "action": "send", "list": [mine.pk]}
        )
    assert response.status_code == 302
    assert list(Message.objects.get().recipients.values_list("to", flat=True)) == [FREE_NUMBER]
    assert [sms.to for sms in locmem_gateway.outbox] == [FREE_NUMBER]
    page = client.get(response.url).content.decode()
    assert [secret for secret in secrets if secret in page] == []


def test_lost_access_sending_to_the_list_through_the_api_reaches_free_numbers_only(
    lost_access, locmem_gateway, django_capture_on_commit_callbacks
):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user, mine, _contact, _secrets = lost_access
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api_messages"), {"lists": [mine.pk], "body": "hi"}, format="json")
    assert response.status_code == 202
    assert [r["to"] for r in response.json()["recipients"]] == [FREE_NUMBER]
    assert [sms.to for sms in locmem_gateway.outbox] == [FREE_NUMBER]


def test_lost_access_the_messages_tool_reaches_free_numbers_only(
    client, lost_access, locmem_gateway, django_capture_on_commit_callbacks
):
    from django.core import mail

    user, mine, _contact, secrets = lost_access
    client.force_login(user)
    data = {
        "subject": "Closed",
        "body": "Closed on Friday.",
        "channel": ["email", "sms", "fax"],
        "idempotency_key": "k1",
        "list": [mine.pk],
    }
    preview = client.post(reverse("messages_compose"), {**data, "action": "preview"}).content.decode()
    assert [secret for secret in secrets if secret in preview] == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("messages_compose"), {**data, "action": "send"})
    assert response.status_code == 302
    assert [sms.to for sms in locmem_gateway.outbox] == [FREE_NUMBER]
    assert mail.outbox == []
    page = client.get(response.url).content.decode()
    assert [secret for secret in secrets if secret in page] == []


def test_lost_access_the_hidden_member_cannot_be_named_through_its_remove_url(client, lost_access):
    user, mine, contact, _secrets = lost_access
    client.force_login(user)
    hidden = mine.members.get(contact=contact)
    response = client.post(reverse("list_member_delete", args=[mine.pk, hidden.pk]), follow=True)
    assert response.status_code == 404
    assert mine.members.filter(pk=hidden.pk).exists()
