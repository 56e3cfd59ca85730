"""Each advisor's morning list of suggested actions for their clients, each with the facts behind its reason, and
what the advisor did with it (a commitment, a check-in, or dismissed with a reason)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecommendationKind(models.TextChoices):
    NO_CONTACT = "no_contact", _("No recent contact")
    CHECK_IN_OVERDUE = "check_in_overdue", _("Check-in overdue")
    DEPENDENCY_LATE = "dependency_late", _("Dependency late")
    NEW_TICKET = "new_ticket", _("New ticket")
    SPEND_DROP = "spend_drop", _("Spend dropped")
    RENEWAL_NEAR = "renewal_near", _("Renewal near")
    GOAL_NEAR = "goal_near", _("Goal date near")


class RecommendationState(models.TextChoices):
    OPEN = "open", _("Open")
    ACTED = "acted", _("Acted on")
    DISMISSED = "dismissed", _("Dismissed")
    RESOLVED = "resolved", _("No longer needed")


class AdvisorRecommendation(models.Model):
    """A suggested action for an advisor on one client, with the facts its plain-words reason is made of.

    `subject` names what it is about within its kind ("dependency:12", "ticket:55", or "" for the account itself):
    the same suggestion is never open twice, and one acted on or dismissed is not made again for a while.
    """

    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="advisor_recommendations",
        verbose_name=_("advisor"),
        db_index=False,  # advisor_rec_advisor_idx leads with it
    )
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="advisor_recommendations",
        verbose_name=_("account"),
        db_index=False,  # advisor_rec_account_idx leads with it
    )
    kind = models.CharField(_("kind"), max_length=24, choices=RecommendationKind.choices)
    subject = models.CharField(_("about"), max_length=64, blank=True)
    facts = models.JSONField(_("facts"), default=dict)
    # The advisor's local date of the morning run that made it.
    day = models.DateField(_("day"))
    state = models.CharField(
        _("state"), max_length=16, choices=RecommendationState.choices, default=RecommendationState.OPEN
    )
    commitment = models.ForeignKey(
        "relationships.Commitment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commitment made"),
    )
    cadence = models.ForeignKey(
        "relationships.Cadence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("check-in planned"),
    )
    dismissed_reason = models.TextField(_("why dismissed"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("advisor recommendation")
        verbose_name_plural = _("advisor recommendations")
        indexes = [
            models.Index(fields=["advisor", "state", "id"], name="advisor_rec_advisor_idx"),
            models.Index(fields=["account", "kind", "subject"], name="advisor_rec_account_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "subject"],
                condition=Q(state="open"),
                name="advisor_rec_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}".strip()


class RecommendationRun(models.Model):
    """That an advisor's morning list was made for their local day (so the hourly job makes it once)."""

    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("advisor")
    )
    day = models.DateField(_("day"))
    ran_at = models.DateTimeField(_("ran at"), default=timezone.now)
    created = models.PositiveIntegerField(_("recommendations made"), default=0)

    class Meta:
        verbose_name = _("recommendation run")
        verbose_name_plural = _("recommendation runs")
        constraints = [models.UniqueConstraint(fields=["advisor", "day"], name="advisor_rec_run_once")]

    def __str__(self) -> str:
        return f"{self.advisor_id} {self.day}"
