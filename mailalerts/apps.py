from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailAlertsConfig(AppConfig):
    name = "mailalerts"
    verbose_name = _("Mail alerts")

    def ready(self) -> None:
        # The credit history's words for this app's sends (credits.history).
        from credits.history import register_describer

        from .history import describe_alerts

        register_describer("message", describe_alerts)
