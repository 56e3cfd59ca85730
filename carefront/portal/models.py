"""What the customer portal keeps of its own: the sign-in links already used."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MagicLinkUse(models.Model):
    """A sign-in link that has been used, by the hash of its token, so it cannot sign in twice."""

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="+", verbose_name=_("contact")
    )
    used_at = models.DateTimeField(_("used at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("used sign-in link")
        verbose_name_plural = _("used sign-in links")

    def __str__(self) -> str:
        return f"{self.token_hash[:12]}… ({self.used_at:%Y-%m-%d %H:%M})"
