"""MessageTemplate moved from the Messages tool's app to messaging: its rows survive the move."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from messaging.models import MessageTemplate

BEFORE = [("messaging", "0007_recipient_own_text_and_parts"), ("broadcasts", "0002_verbose_names_in_plural")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader sees what is applied now


@pytest.mark.django_db(transaction=True)
def test_templates_and_their_content_type_survive_the_move_to_messaging(sender):
    executor = migrate(BEFORE)
    ContentType.objects.filter(app_label="messaging", model="messagetemplate").delete()
    ContentType.objects.get_or_create(app_label="broadcasts", model="messagetemplate")
    old = executor.loader.project_state(BEFORE).apps
    old.get_model("broadcasts", "MessageTemplate").objects.create(
        user_id=sender.pk, name="Closure", subject="Closed", body="Closed on Friday", channels="email,sms"
    )

    migrate(executor.loader.graph.leaf_nodes())

    moved = MessageTemplate.objects.get(user=sender)
    assert (moved.name, moved.subject, moved.body, moved.channel_list, moved.group) == (
        "Closure",
        "Closed",
        "Closed on Friday",
        ["email", "sms"],
        None,
    )
    assert ContentType.objects.get_for_model(MessageTemplate).app_label == "messaging"
    assert not ContentType.objects.filter(app_label="broadcasts", model="messagetemplate").exists()
