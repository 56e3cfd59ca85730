from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "carefront.desk"
    label = "desk"
    verbose_name = _("Desk")

    def ready(self) -> None:
        # Its kinds of account-timeline entries (imported here: the registry lives in the accounts app).
        from carefront.desk.selectors_timeline import register

        register()
