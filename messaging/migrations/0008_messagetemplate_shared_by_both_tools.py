"""MessageTemplate comes (back) to the messaging app, so that the SMS composer and the
Messages tool share one kind of template; it may be shared with a group.

The table already exists with its rows, index and constraint (db_table kept its name):
the model is added to this app's state only, then the `group` column is added. The
content type moves with it, so admin permissions and history still point at it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _content_type_to(app_label: str):
    def move(apps, schema_editor) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        other = "broadcasts" if app_label == "messaging" else "messaging"
        if not content_type.objects.filter(app_label=app_label, model="messagetemplate").exists():
            content_type.objects.filter(app_label=other, model="messagetemplate").update(app_label=app_label)

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("broadcasts", "0003_messagetemplate_moves_to_messaging"),
        ("messaging", "0007_recipient_own_text_and_parts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="MessageTemplate",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("subject", models.CharField(blank=True, max_length=200, verbose_name="subject")),
                        ("body", models.TextField(verbose_name="text")),
                        ("channels", models.CharField(max_length=20)),
                        ("subject_in_sms", models.BooleanField(default=False)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="message_templates",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "messaging_messagetemplate",
                        "ordering": ["name", "id"],
                        "constraints": [
                            models.UniqueConstraint(fields=("user", "name"), name="template_name_once"),
                        ],
                    },
                ),
            ],
        ),
        migrations.AddField(
            model_name="messagetemplate",
            name="group",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="message_templates",
                to="auth.group",
                verbose_name="shared with",
            ),
        ),
        migrations.RunPython(_content_type_to("messaging"), _content_type_to("broadcasts")),
    ]
