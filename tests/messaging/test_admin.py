import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.models import MessageStatus
from messaging.services.accepting import message_send
from tests.factories import UserFactory


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_lists_and_filters_messages_and_recipients(admin_client, sender):
    message = message_send(user=sender, body="hi", to=["+32475123456"])
    assert admin_client.get(reverse("admin:messaging_message_changelist"), {"status": "sending"}).status_code == 200
    page = admin_client.get(reverse("admin:messaging_recipient_changelist"), {"status": "queued"})
    assert "+32475123456" in page.content.decode()
    assert admin_client.get(reverse("admin:messaging_message_change", args=[message.pk])).status_code == 200
    assert admin_client.get(reverse("admin:messaging_sendinglimits_add")).status_code == 200


def test_admin_cancels_a_scheduled_send(admin_client, sender):
    message = message_send(
        user=sender, body="later", to=["+32475123456"], send_at=timezone.now() + dt.timedelta(hours=1)
    )
    admin_client.post(
        reverse("admin:messaging_message_changelist"), {"action": "cancel", "_selected_action": [message.pk]}
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELED


def test_the_admin_inbox_holds_unmatched_replies_and_gives_one_to_a_user(admin_client, sender):
    from messaging.models import IncomingSMS
    from messaging.services.incoming import incoming_receive

    reply = incoming_receive(gateway="default", from_number="+32475123456", text="Hello? \x1b").incoming
    page = admin_client.get(reverse("admin:messaging_incomingsms_changelist"), {"owner": "none"}).content.decode()
    assert "Hello? \u241b" in page
    change = reverse("admin:messaging_incomingsms_change", args=[reply.pk])
    assert admin_client.post(change, {"user": sender.pk}).status_code == 302
    reply = IncomingSMS.objects.get()
    assert (reply.user, reply.read_at) == (sender, None)
    page = admin_client.get(reverse("admin:messaging_incomingsms_changelist"), {"owner": "none"}).content.decode()
    assert 'id="result_list"' not in page  # the inbox is empty


def test_the_admin_changes_the_opt_out_list_saying_who_and_why(admin_client, sender):
    from messaging.models import OptOut, OptOutChange

    add = reverse("admin:messaging_optout_add")
    refused = admin_client.post(add, {"gateway": "default", "number": "+32475123456", "reason": ""})
    assert refused.status_code == 200 and not OptOut.objects.exists()
    assert (
        admin_client.post(
            add, {"gateway": "default", "number": "+32 475 12 34 56", "reason": "court order"}
        ).status_code
        == 302
    )
    optout = OptOut.objects.get()
    assert optout.number == "+32475123456"
    change = reverse("admin:messaging_optout_change", args=[optout.pk])
    assert admin_client.post(change, {"remove_because": "asked again by letter"}).status_code == 302
    assert not OptOut.objects.exists()
    changes = list(OptOutChange.objects.order_by("id").values_list("action", "reason", "actor__is_staff"))
    assert changes == [("added", "court order", True), ("removed", "asked again by letter", True)]
