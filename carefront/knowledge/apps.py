from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _search_index_ensure(*, using: str, **kwargs: Any) -> None:
    from carefront.knowledge.search_index import article_index_ensure

    article_index_ensure(using=using)


class KnowledgeConfig(AppConfig):
    name = "carefront.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        # Schema upkeep, as in core: SQLite drops a table's triggers when a migration rebuilds the table.
        post_migrate.connect(_search_index_ensure, sender=self, dispatch_uid="carefront.knowledge.index_ensure")
