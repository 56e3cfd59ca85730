"""Macros: canned replies and notes with placeholders, one text per language, and actions applied with them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carefront.desk.models.tickets import Visibility


class Macro(models.Model):
    """A canned reply or note: its text in each language, the status it sets and the tags it adds."""

    name = models.CharField(_("name"), max_length=100)
    # Null: shared with every staff member; otherwise personal to its owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    set_status = models.CharField(_("then set status"), max_length=16, blank=True)
    add_tags = models.JSONField(_("tags to add"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class MacroText(models.Model):
    """A macro's text in one language."""

    macro = models.ForeignKey(Macro, on_delete=models.CASCADE, related_name="texts", verbose_name=_("macro"))
    language = models.CharField(_("language"), max_length=16)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("macro text")
        verbose_name_plural = _("macro texts")
        constraints = [models.UniqueConstraint(fields=["macro", "language"], name="macro_text_unique")]

    def __str__(self) -> str:
        return f"{self.macro_id} {self.language}"
