from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _fact_triggers_ensure(using: str, **kwargs: Any) -> None:
    from carefront.insights.fact_triggers import fact_triggers_ensure

    fact_triggers_ensure(using=using)


class InsightsConfig(AppConfig):
    name = "carefront.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # A migration that copies the tickets' (or messages', clocks', events') table drops its triggers on SQLite.
        post_migrate.connect(_fact_triggers_ensure, sender=self, dispatch_uid="carefront.insights.fact_triggers")
