from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "carefront.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Its kinds of account-timeline entries (imported here: the registry lives in the accounts app).
        from carefront.accounts.selectors_timeline import register

        register()
