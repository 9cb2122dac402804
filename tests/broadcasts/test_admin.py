from django.urls import reverse

from broadcasts.services import Draft, broadcast_send


def test_admin_shows_messages_tool_sends_and_each_copy(admin_client, sender, run_on_commit):
    draft = Draft(subject="Closed", body="Closed Friday", channels=["email", "sms"], emails=["bob@example.org"])
    broadcast = run_on_commit(broadcast_send, user=sender, draft=draft)
    page = admin_client.get(reverse("admin:broadcasts_broadcast_change", args=[broadcast.pk])).content.decode()
    assert "every recipient x channel" in page
    copies = admin_client.get(reverse("admin:broadcasts_delivery_changelist"), {"broadcast__id__exact": broadcast.pk})
    text = copies.content.decode()
    assert "bob@example.org" in text and "no mobile number" in text
    assert admin_client.get(reverse("admin:messaging_messagetemplate_add")).status_code == 200
