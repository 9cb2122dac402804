"""The Messages tool's models, moved here from the messaging app: added to this app's
state only. The tables already exist (db_table keeps their names) with their rows,
indexes and constraints; nothing is created or copied. Their content types move with
them, so admin permissions and history still point at them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ["broadcast", "delivery", "messagetemplate"]


def _content_types_to(app_label: str):
    def move(apps, schema_editor) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        other = "messaging" if app_label == "broadcasts" else "broadcasts"
        content_type.objects.filter(app_label=other, model__in=MODELS).update(app_label=app_label)

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('messaging', '0005_messages_tool_moves_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Broadcast',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject', models.CharField(max_length=200)),
                        ('body', models.TextField()),
                        ('channels', models.CharField(max_length=20)),
                        ('subject_in_sms', models.BooleanField(default=False)),
                        ('person_count', models.PositiveIntegerField()),
                        ('idempotency_key', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sms_message', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='broadcast', to='messaging.message')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='broadcasts', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'messaging_broadcast',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Delivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveIntegerField()),
                        ('name', models.CharField(max_length=200)),
                        ('channel', models.CharField(choices=[('email', 'email'), ('sms', 'SMS'), ('fax', 'fax')], max_length=5)),
                        ('address', models.CharField(blank=True, max_length=254)),
                        ('status', models.CharField(blank=True, choices=[('queued', 'queued'), ('sending', 'sending'), ('sent', 'sent'), ('failed', 'failed'), ('skipped', 'not sent'), ('unknown', 'unknown')], max_length=8)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('enqueued_at', models.DateTimeField(blank=True, null=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('claim', models.CharField(blank=True, max_length=32)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('error_code', models.CharField(blank=True, max_length=32)),
                        ('error_reason', models.CharField(blank=True, max_length=500)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('broadcast', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='broadcasts.broadcast')),
                        ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.contact')),
                        ('sms_recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='messaging.recipient')),
                    ],
                    options={
                        'verbose_name_plural': 'deliveries',
                        'db_table': 'messaging_delivery',
                        'ordering': ['position', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='MessageTemplate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('subject', models.CharField(max_length=200, verbose_name='subject')),
                        ('body', models.TextField(verbose_name='text')),
                        ('channels', models.CharField(max_length=20)),
                        ('subject_in_sms', models.BooleanField(default=False)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='message_templates', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'messaging_messagetemplate',
                        'ordering': ['name', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='broadcast',
                    index=models.Index(fields=['user', '-created_at'], name='broadcast_user_recent'),
                ),
                migrations.AddConstraint(
                    model_name='broadcast',
                    constraint=models.UniqueConstraint(condition=models.Q(('idempotency_key', ''), _negated=True), fields=('user', 'idempotency_key'), name='broadcast_sent_once'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(condition=models.Q(('status', 'queued')), fields=['next_attempt_at'], name='delivery_due'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(condition=models.Q(('status', 'sending')), fields=['claimed_at'], name='delivery_claimed'),
                ),
                migrations.AddConstraint(
                    model_name='delivery',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('channel', 'sms'), ('status__in', ['', 'skipped'])), models.Q(models.Q(('channel', 'sms'), _negated=True), models.Q(('status', ''), _negated=True)), _connector='OR'), name='delivery_status_by_channel'),
                ),
                migrations.AddConstraint(
                    model_name='delivery',
                    constraint=models.UniqueConstraint(fields=('broadcast', 'position', 'channel'), name='delivery_once_per_channel'),
                ),
                migrations.AddConstraint(
                    model_name='messagetemplate',
                    constraint=models.UniqueConstraint(fields=('user', 'name'), name='template_name_once'),
                ),
            ],
        ),
        migrations.RunPython(_content_types_to("broadcasts"), _content_types_to("messaging")),
    ]
