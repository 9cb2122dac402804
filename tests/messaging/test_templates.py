"""Templates in the SMS composer: save, pick, edit, delete, share with a group; the same kind as the Messages tool's."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from messaging.models import MessageTemplate
from tests.factories import UserFactory

URL = reverse("sms_compose")


def post(client, **fields):
    data = {"body": "", "with_signature": "on", "idempotency_key": "k1"}
    data.update(fields)
    return client.post(URL, data)


@pytest.fixture
def team(sender):
    group = Group.objects.create(name="Sales")
    sender.groups.add(group)
    return group


@pytest.fixture
def colleague(team):
    user = UserFactory()
    user.groups.add(team)
    return user


def test_save_pick_edit_and_delete_a_template(client, sender):
    client.force_login(sender)
    page = post(client, action="template_save", template_name="Reminder", body="See you at 10, {first_name|all}")
    assert page.status_code == 200 and "Saved as the template “Reminder”." in page.content.decode()
    template = MessageTemplate.objects.get(user=sender)
    assert (template.name, template.body, template.group, template.channels) == (
        "Reminder",
        "See you at 10, {first_name|all}",
        None,
        "sms",
    )
    page = post(client, action="template_use", template=template.pk, body="").content.decode()
    assert "See you at 10, {first_name|all}</textarea>" in page
    assert 'value="Reminder"' in page  # offered to save again under its name: that edits it
    post(client, action="template_save", template_name="Reminder", body="See you at 11", template=template.pk)
    assert list(MessageTemplate.objects.values_list("name", "body")) == [("Reminder", "See you at 11")]
    page = post(client, action="template_delete", template=template.pk, body="x")
    assert "Template “Reminder” deleted." in page.content.decode()
    assert not MessageTemplate.objects.exists()


def test_the_messages_tool_and_the_composer_share_their_templates(client, sender):
    client.force_login(sender)
    post(client, action="template_save", template_name="From SMS", body="Short text")
    assert "From SMS" in client.get(reverse("messages_compose")).content.decode()
    assert "From SMS" in client.get(reverse("message_templates")).content.decode()
    MessageTemplate.objects.create(user=sender, name="From tool", subject="Hi", body="Tool text", channels="email,sms")
    page = client.get(URL).content.decode()
    assert "From tool" in page and "From SMS" in page


def test_a_template_shared_with_a_group_is_used_by_its_members_and_deleted_by_its_author(
    client, sender, team, colleague
):
    client.force_login(sender)
    post(client, action="template_save", template_name="Sales pitch", body="Our offer", template_group=team.pk)
    template = MessageTemplate.objects.get(name="Sales pitch")
    assert template.group == team
    client.force_login(colleague)
    page = post(client, action="template_use", template=template.pk).content.decode()
    assert "Sales pitch (Sales)" in page and "Our offer</textarea>" in page
    refused = post(client, action="template_delete", template=template.pk)
    assert refused.status_code == 400 and "Only its author can delete" in refused.content.decode()
    assert MessageTemplate.objects.filter(pk=template.pk).exists()
    outsider = UserFactory()
    client.force_login(outsider)
    assert "Sales pitch" not in client.get(URL).content.decode()
    assert post(client, action="template_use", template=template.pk).status_code == 404


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"template_name": "", "body": "Text"}, "Give the template a name."),
        ({"template_name": "Empty", "body": "  "}, "Write the text to save."),
        ({"template_name": "Other", "body": "Text", "template_group": "999999"}, "a group you belong to"),
        ({"template_name": "x", "body": "Text", "template_group": "abc"}, "a group you belong to"),
    ],
    ids=["no-name", "no-text", "foreign-group", "bad-group"],
)
def test_a_template_that_cannot_be_saved_says_why(client, sender, fields, reason):
    client.force_login(sender)
    response = post(client, action="template_save", **fields)
    assert response.status_code == 400 and reason in response.content.decode()
    assert not MessageTemplate.objects.exists()
