"""MessageTemplate moves back to the messaging app: one kind of template for the SMS composer
and the Messages tool. Removed from this app's state only: the table and its rows stay
(messaging/migrations/0008 takes the model over, with its content type)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("broadcasts", "0002_verbose_names_in_plural"),
        ("messaging", "0007_recipient_own_text_and_parts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="MessageTemplate")],
        ),
    ]
