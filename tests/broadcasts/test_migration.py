"""The Messages tool moved from the messaging app to its own: its rows survive the move."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from broadcasts.models import Broadcast, Delivery
from messaging.models import MessageTemplate
from messaging.services.accepting import message_send

BEFORE = [("broadcasts", None), ("messaging", "0004_sending_limits_bounded")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader sees what is applied now


@pytest.mark.django_db(transaction=True)
def test_messages_tool_rows_survive_the_move_to_their_own_app(sender):
    sms = message_send(user=sender, body="Closed Friday", to=["+32475123456"])
    recipient = sms.recipients.get()
    ContentType.objects.get_for_model(Broadcast)  # as an installation has it: permissions, admin history
    ContentType.objects.filter(app_label="broadcasts").update(app_label="messaging")

    executor = migrate(BEFORE)
    old = executor.loader.project_state(BEFORE[1:]).apps
    broadcast = old.get_model("messaging", "Broadcast").objects.create(
        user_id=sender.pk,
        subject="Closed",
        body="Closed Friday",
        channels="email,sms",
        person_count=2,
        sms_message_id=sms.pk,
        idempotency_key="k1",
    )
    delivery_model = old.get_model("messaging", "Delivery")
    delivery_model.objects.create(
        broadcast=broadcast, position=0, name="Bob", channel="email", address="bob@example.org", status="sent"
    )
    delivery_model.objects.create(
        broadcast=broadcast,
        position=1,
        name="Ann",
        channel="sms",
        address="+32475123456",
        sms_recipient_id=recipient.pk,
    )
    old.get_model("messaging", "MessageTemplate").objects.create(
        user_id=sender.pk, name="Closure", subject="Closed", body="Closed on {day}", channels="email"
    )

    executor = migrate(executor.loader.graph.leaf_nodes())

    moved = Broadcast.objects.get(pk=broadcast.pk)
    assert (moved.subject, moved.channel_list, moved.sms_message, moved.user) == (
        "Closed",
        ["email", "sms"],
        sms,
        sender,
    )
    copies = {d.channel: d for d in Delivery.objects.filter(broadcast=moved)}
    assert copies["email"].state == "sent" and copies["email"].address == "bob@example.org"
    assert copies["sms"].state == recipient.status  # still read from the SMS pipeline's row
    assert MessageTemplate.objects.get(user=sender).body == "Closed on {day}"
    assert ContentType.objects.get_for_model(Broadcast).app_label == "broadcasts"
    assert not ContentType.objects.filter(app_label="messaging", model="broadcast").exists()
