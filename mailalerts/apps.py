from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailAlertsConfig(AppConfig):
    name = "mailalerts"
    verbose_name = _("Mail alerts")
