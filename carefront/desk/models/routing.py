"""Routing rules, team assignment strategies, why a ticket went where it did, and time-based automations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RunsOn(models.TextChoices):
    CREATED = "created", _("When a ticket is created")
    UPDATED = "updated", _("When a ticket is changed")
    BOTH = "both", _("On creation and on every change")


class RuleBase(models.Model):
    """What routing rules and automations share: a name, an order, and condition and action documents checked by
    `carefront.desk.rules` when saved (see docs/routing.md for their shape)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(RuleBase):
    """An ordered rule: when a ticket matches `conditions` at creation (or on a change), apply `actions`."""

    runs_on = models.CharField(_("runs"), max_length=16, choices=RunsOn.choices, default=RunsOn.CREATED)

    class Meta(RuleBase.Meta):
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")


class Strategy(models.TextChoices):
    MANUAL = "manual", _("Queue only (members pick tickets)")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Fewest open tickets")
    SKILL_LANGUAGE = "skill_language", _("Skills and language, then fewest open")


class TeamAssignment(models.Model):
    """How a team hands its unassigned tickets to its members; `last_assignee` is round robin's place."""

    team = models.OneToOneField(
        "core.Team", on_delete=models.CASCADE, related_name="assignment", verbose_name=_("team")
    )
    strategy = models.CharField(_("assignment"), max_length=16, choices=Strategy.choices, default=Strategy.MANUAL)
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("team assignment")
        verbose_name_plural = _("team assignments")

    def __str__(self) -> str:
        return f"{self.team_id} {self.strategy}"


class RoutedBy(models.TextChoices):
    RULE = "rule", _("a routing rule")
    OWNER = "owner", _("the account's owner")
    OWNER_AWAY = "owner_away", _("the owner's team (the owner is away)")
    TEAM = "team", _("the team's strategy")


class TicketRouting(models.Model):
    """The latest routing decision for a ticket: which rules matched and how the assignee was chosen."""

    ticket = models.OneToOneField(
        "desk.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="routing", verbose_name=_("ticket")
    )
    rules = models.JSONField(_("rules"), default=list)  # [[id, name], …] in the order they matched
    assigned_by = models.CharField(_("assigned by"), max_length=16, choices=RoutedBy.choices, blank=True)
    # The team strategy that picked (or found no one available), when one ran.
    strategy = models.CharField(_("strategy"), max_length=16, choices=Strategy.choices, blank=True)
    routed_at = models.DateTimeField(_("routed at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket routing")
        verbose_name_plural = _("ticket routings")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.assigned_by}"


class Since(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("last changed")
    STATUS = "status", _("status last changed")
    SOLVED = "solved", _("solved")


class Automation(RuleBase):
    """A time-based rule checked by a periodic job: when a ticket has matched `conditions` for `hours` since
    `since` (business hours of `calendar` if set), apply `actions`, once per ticket per such moment."""

    since = models.CharField(_("hours since"), max_length=16, choices=Since.choices, default=Since.UPDATED)
    hours = models.PositiveIntegerField(_("hours"))
    calendar = models.ForeignKey(
        "desk.Calendar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("business hours"),
        help_text=_("blank: calendar hours"),
    )

    class Meta(RuleBase.Meta):
        verbose_name = _("automation")
        verbose_name_plural = _("automations")


class AutomationFiring(models.Model):
    """An automation fired on a ticket for the moment `since` held: it never fires again for that moment."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="+", db_index=False)
    since = models.DateTimeField(_("since"))
    fired_at = models.DateTimeField(_("fired at"), default=timezone.now)

    class Meta:
        verbose_name = _("automation firing")
        verbose_name_plural = _("automation firings")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "automation", "since"], name="automation_firing_unique")
        ]

    def __str__(self) -> str:
        return f"{self.automation_id} on {self.ticket_id}"
