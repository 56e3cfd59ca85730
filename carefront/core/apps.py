from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _search_index_ensure(*, using: str, **kwargs: Any) -> None:
    from carefront.core.search_index import search_index_ensure

    search_index_ensure(using=using)


class CoreConfig(AppConfig):
    name = "carefront.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Schema upkeep, not a business rule: SQLite drops a table's triggers when a migration rebuilds the table.
        post_migrate.connect(_search_index_ensure, sender=self, dispatch_uid="carefront.core.search_index_ensure")
