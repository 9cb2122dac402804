from django.db import migrations, models


class Migration(migrations.Migration):
    """Each recipient carries its parts (placeholders make texts differ); rows from before take
    their message's parts, skipped ones none."""

    dependencies = [
        ("messaging", "0006_recipient_skipped_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="recipient",
            name="text",
            field=models.TextField(blank=True, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="recipient",
            name="parts",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunSQL(
            sql=[
                "UPDATE messaging_recipient SET parts = (SELECT segments FROM messaging_message"
                " WHERE messaging_message.id = messaging_recipient.message_id) WHERE status <> 'skipped'",
                "UPDATE messaging_recipient SET parts = 0 WHERE status = 'skipped'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
