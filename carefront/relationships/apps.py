from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationshipsConfig(AppConfig):
    name = "carefront.relationships"
    label = "relationships"
    verbose_name = _("Relationships")

    def ready(self) -> None:
        from carefront.core.services import staff_still_owned_register
        from carefront.relationships.selectors_portfolio import still_owned_refusal

        staff_still_owned_register(still_owned_refusal)
        # Its kinds of account-timeline entries (imported here: the registry lives in the accounts app).
        from carefront.relationships.selectors_timeline import register

        register()
