"""The Messages tool's models move to the broadcasts app: removed from this app's state
only. Their tables (messaging_broadcast, messaging_delivery, messaging_messagetemplate)
and every row stay; broadcasts.0001 takes them over under the same names."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0004_sending_limits_bounded'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='delivery',
                    name='broadcast',
                ),
                migrations.RemoveField(
                    model_name='delivery',
                    name='contact',
                ),
                migrations.RemoveField(
                    model_name='delivery',
                    name='sms_recipient',
                ),
                migrations.RemoveField(
                    model_name='messagetemplate',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Broadcast',
                ),
                migrations.DeleteModel(
                    name='Delivery',
                ),
                migrations.DeleteModel(
                    name='MessageTemplate',
                ),
            ],
        ),
    ]
