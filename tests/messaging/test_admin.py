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
