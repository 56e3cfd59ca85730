"""Each client's health score: the workspace's settings (weights, windows, bands), the current score per account
with every signal's contribution, and its history (a row per account per day on which the score changed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HealthBand(models.TextChoices):
    RED = "red", _("At risk")
    AMBER = "amber", _("Needs attention")
    GREEN = "green", _("Healthy")


class HealthSettings(models.Model):
    """The workspace's one row of health settings: each signal's weight and look-back window, the bands' limits."""

    # {"check_ins": 3, ...}: a signal missing here has its default weight; 0 switches it off.
    weights = models.JSONField(_("weights"), default=dict, blank=True)
    # {"check_ins": 90, ...}: days each signal looks back; a signal missing here has its default window.
    windows = models.JSONField(_("look-back windows"), default=dict, blank=True)
    # A score below `red_below` is red, below `amber_below` amber, else green.
    red_below = models.PositiveSmallIntegerField(_("red below"), default=40)
    amber_below = models.PositiveSmallIntegerField(_("amber below"), default=70)
    # Tickets in the window, weighted by priority, that count as the usual load (the ticket signal is 0.5 there).
    ticket_norm = models.PositiveIntegerField(_("usual ticket load"), default=5)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("health settings")
        verbose_name_plural = _("health settings")
        constraints = [
            models.CheckConstraint(condition=Q(red_below__lt=F("amber_below")), name="health_bands_ordered"),
        ]

    def __str__(self) -> str:
        return str(_("Health settings"))


class AccountHealth(models.Model):
    """A client account's current health score (empty until first computed) with each signal's contribution.

    `changes` counts the changes to the account's inputs, `computed_changes` how many of them the stored score has
    seen: while `changes` is ahead, the score is stale and the frequent job recomputes it.
    """

    account = models.OneToOneField(
        "accounts.Account",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="health",
        verbose_name=_("account"),
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    band = models.CharField(_("band"), max_length=8, choices=HealthBand.choices, blank=True)
    # [{"key": "check_ins", "value": 0.75, "weight": 3.0, "points": 22.5, "facts": {...}}, ...] in signal order.
    contributions = models.JSONField(_("contributions"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    # A database default: the batch write inserts rows without it and must never overwrite it.
    changes = models.PositiveBigIntegerField(_("input changes"), default=0, db_default=0)
    computed_changes = models.PositiveBigIntegerField(_("input changes computed"), default=0)

    class Meta:
        verbose_name = _("account health")
        verbose_name_plural = _("account health")
        indexes = [
            models.Index(fields=["score"], name="health_score_idx"),
            models.Index(fields=["account"], condition=Q(changes__gt=F("computed_changes")), name="health_stale_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score}"


class HealthSnapshot(models.Model):
    """A client's health score on a day it changed (one row per account per day; the last score of the day)."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="health_history",
        verbose_name=_("account"),
        db_index=False,  # health_snapshot_day leads with it
    )
    day = models.DateField(_("day"))
    score = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("band"), max_length=8, choices=HealthBand.choices)

    class Meta:
        verbose_name = _("health snapshot")
        verbose_name_plural = _("health history")
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="health_snapshot_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.score}"
