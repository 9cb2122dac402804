from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # A gateway with a missing credential stops the start-up with ImproperlyConfigured,
        # rather than failing at the first send.
        from .gateways import check_all_gateways

        check_all_gateways()

        # The credit history's words for this app's sends (credits.history).
        from credits.history import register_describer

        from .history import describe_messages

        register_describer("message", describe_messages)
