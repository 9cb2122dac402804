"""Message templates: one kind for the SMS composer and the Messages tool.

    message_template_save()     create, or replace the author's template of that name
    message_template_delete()   by its author only

A template is private to its author or shared with one of the author's groups (every
member sees it and starts from it; only its author changes or deletes it).
"""

from collections.abc import Sequence

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import MessageTemplate
from .planning import Problem

NAME_MAX = 100


class TemplateRefused(ValueError):
    """The template was not saved or deleted; `problems` say why, per field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.reason for p in problems))


def message_template_save(
    *,
    user: User,
    name: str,
    body: str,
    group: Group | None = None,
    subject: str = "",
    channels: Sequence[str] = ("sms",),
    subject_in_sms: bool = False,
) -> MessageTemplate:
    """Save `body` (and the Messages tool's subject and channels) under `name`, replacing the
    author's template of that name. Raises TemplateRefused, saving nothing, when the name or
    text is missing or `group` is not one of the user's groups."""
    name = " ".join(name.split())[:NAME_MAX]
    problems = [] if name else [Problem("template_name", "", _("Give the template a name."))]
    if not body.strip():
        problems.append(Problem("body", "", _("Write the text to save.")))
    if group is not None and not user.groups.filter(pk=group.pk).exists():
        problems.append(Problem("template_group", "", _("You can only share a template with a group you belong to.")))
    if problems:
        raise TemplateRefused(problems)
    with transaction.atomic():
        template, _created = MessageTemplate.objects.update_or_create(
            user=user,
            name=name,
            defaults={
                "group": group,
                "subject": subject.strip(),
                "body": body,
                "channels": ",".join(channels),
                "subject_in_sms": subject_in_sms,
            },
        )
    return template


def message_template_delete(*, user: User, template: MessageTemplate) -> None:
    """Delete `template`; a group member who is not its author is refused."""
    if template.user_id != user.pk:
        raise TemplateRefused(
            [
                Problem(
                    "template",
                    template.name,
                    _("Only its author can delete the shared template “%(name)s”.") % {"name": template.name},
                )
            ]
        )
    template.delete()
