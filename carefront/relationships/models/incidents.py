"""Incidents: a mistake we made, the accounts it touched, and whether and how each was told and made whole."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IncidentSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class DisclosureState(models.TextChoices):
    PENDING = "pending", _("Not yet told")
    DRAFTED = "drafted", _("Draft ready")
    TOLD = "told", _("Told")


class DisclosureChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    LETTER = "letter", _("Letter")


class Incident(models.Model):
    """A mistake we made: what happened, when, its impact, who owns putting it right, and whether it is resolved."""

    title = models.CharField(_("title"), max_length=200)
    what_happened = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("occurred at"))
    discovered_at = models.DateTimeField(_("found out at"))
    impact = models.TextField(_("impact"), blank=True)
    severity = models.CharField(
        _("severity"), max_length=16, choices=IncidentSeverity.choices, default=IncidentSeverity.MEDIUM
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_owned", verbose_name=_("owner")
    )
    status = models.CharField(_("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Django template text for the disclosure drafts; empty means the workspace's default wording.
    disclosure_template = models.TextField(_("disclosure template"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incidents_created",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["status", "id"], name="incident_status_idx"),
            models.Index(fields=["occurred_at", "id"], name="incident_occurred_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(discovered_at__gte=models.F("occurred_at")), name="incident_found_after_it_happened"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AffectedAccount(models.Model):
    """An account an incident touched: what it meant for them, whether and how they were told, and the remedy."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="affected", verbose_name=_("incident")
    )
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="incidents_affecting",
        verbose_name=_("account"),
        db_index=False,  # affected_account_idx leads with it
    )
    consequence = models.TextField(_("what it meant for them"), blank=True)
    disclosure_state = models.CharField(
        _("disclosure"), max_length=16, choices=DisclosureState.choices, default=DisclosureState.PENDING
    )
    draft = models.TextField(_("disclosure draft"), blank=True)
    told_at = models.DateTimeField(_("told at"), null=True, blank=True)
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("told by"),
    )
    told_via = models.CharField(_("told by way of"), max_length=16, choices=DisclosureChannel.choices, blank=True)
    remedy = models.TextField(_("remedy"), blank=True)
    remedied_at = models.DateTimeField(_("remedied at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("affected account")
        verbose_name_plural = _("affected accounts")
        indexes = [models.Index(fields=["account", "incident"], name="affected_account_idx")]
        constraints = [
            models.UniqueConstraint(fields=["incident", "account"], name="affected_once_per_incident"),
            models.CheckConstraint(
                condition=~Q(disclosure_state="told")
                | Q(told_at__isnull=False, told_by__isnull=False) & ~Q(told_via=""),
                name="affected_told_says_when_who_how",
                violation_error_message=_("Telling an account records when, by whom and how."),
            ),
            models.CheckConstraint(
                condition=Q(remedied_at__isnull=True) | ~Q(remedy=""),
                name="affected_remedied_says_what",
                violation_error_message=_("A remedy says what was done."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.account_id}"
