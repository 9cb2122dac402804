from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        # The credit history's words for this app's sends (credits.history).
        from credits.history import register_describer

        from .history import describe_reminders

        register_describer("message", describe_reminders)
