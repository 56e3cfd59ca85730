"""Surveys (CSAT, NPS, CES, custom), the campaigns that send NPS and custom surveys, each invitation sent (or
skipped, with the reason) and each response, linked to the ticket, agent, account and advisor it is about."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT")
    NPS = "nps", _("NPS")
    CES = "ces", _("CES")
    CUSTOM = "custom", _("Custom")


# The score each kind asks for, inclusive; a custom survey's first question is a 1–5 scale.
SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.CSAT: (1, 5),
    SurveyKind.NPS: (0, 10),
    SurveyKind.CES: (1, 7),
    SurveyKind.CUSTOM: (1, 5),
}


class QuestionType(models.TextChoices):
    SCALE = "scale", _("Scale")
    CHOICE = "choice", _("Single choice")
    YES_NO = "yes_no", _("Yes or no")
    TEXT = "text", _("Text")


class Survey(models.Model):
    """What we ask: a kind (its score scale), the question and comment prompt per language (empty: the built-in
    translated defaults), extra questions for a custom survey, and for CES the mailboxes it is asked for."""

    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    # {"en": {"question": "…", "comment": "…"}, "fr": {…}}; a missing language or text uses the default.
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    # [{"key": "q1", "type": "scale|choice|yes_no|text", "label": {"en": "…"}, "choices": [{"en": "…"}],
    #   "required": false}]: asked on the comment page after the score.
    questions = models.JSONField(_("questions"), default=list, blank=True)
    mailboxes = models.ManyToManyField(
        "mail.Mailbox", blank=True, related_name="effort_surveys", verbose_name=_("mailboxes (CES)")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        indexes = [models.Index(fields=["kind", "is_active"], name="survey_kind_idx")]
        constraints = [
            # A solved ticket asks one CSAT question: the active one.
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="csat", is_active=True), name="survey_one_active_csat"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[self.kind]


class CampaignTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("On a schedule (clients)")
    NTH_ORDER = "nth_order", _("After a customer's Nth order")
    CLIENT_CUSTOMERS = "client_customers", _("Once, to a client's own customers")


class Campaign(models.Model):
    """Sends an NPS (or custom) survey: to every client's main contact at each occurrence of a recurrence rule,
    or to a customer's main contact after their Nth order; or, on behalf of a client, a CSAT or NPS survey once
    to each of the client's own customers (the accounts served for it), under the client's name."""

    name = models.CharField(_("name"), max_length=200)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("survey"))
    trigger = models.CharField(_("trigger"), max_length=16, choices=CampaignTrigger.choices)
    # RFC 5545 RRULE (FREQ=MONTHLY;INTERVAL=6), read by python-dateutil from `starts_at`, for a schedule.
    rule = models.CharField(_("recurrence rule"), max_length=500, blank=True)
    starts_at = models.DateTimeField(_("first sending"), null=True, blank=True)
    next_run_at = models.DateTimeField(_("next sending"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last sending"), null=True, blank=True)
    order_count = models.PositiveSmallIntegerField(_("order number"), null=True, blank=True)
    # On behalf of this client: its customers are asked, the email and the answer page carry its name.
    client = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customer_campaigns",
        verbose_name=_("on behalf of"),
    )
    # The client's customer list, owed to us for the engagement: the campaign waits while it is open.
    dependency = models.ForeignKey(
        "relationships.Dependency",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer list dependency"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            models.Index(fields=["is_active", "next_run_at"], name="campaign_due_idx"),
            models.Index(fields=["trigger", "is_active"], name="campaign_trigger_idx"),
            models.Index(fields=["client", "id"], name="campaign_client_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(trigger="schedule") & ~Q(rule="") & Q(starts_at__isnull=False))
                | (Q(trigger="nth_order") & Q(order_count__gte=1))
                | (Q(trigger="client_customers") & Q(client__isnull=False) & Q(starts_at__isnull=False)),
                name="campaign_trigger_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InvitationReason(models.TextChoices):
    TICKET_SOLVED = "ticket_solved", _("Ticket solved")
    ORDER = "order", _("Order")
    CAMPAIGN = "campaign", _("Campaign")


class InvitationState(models.TextChoices):
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class SurveySkipReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("The contact opted out")
    QUIET_PERIOD = "quiet_period", _("Surveyed within the quiet period")
    NO_EMAIL = "no_email", _("No working email address")
    NO_CONTACT = "no_contact", _("No contact to ask")


class Invitation(models.Model):
    """One survey sent (or skipped) to one contact for one reason: a ticket solved, an order, a campaign's run.
    `key` names the event; it is unique, so an event never surveys twice however often its job runs."""

    key = models.CharField(_("event"), max_length=120, unique=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("survey"))
    # The kind of `survey`, copied so that the response rate is counted from one index.
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    # The CES question asked on the comment page of a CSAT survey (the ticket's mailbox has an active CES survey).
    effort_survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("effort survey")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("campaign"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=InvitationReason.choices)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="survey_invitations", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_invitations",
        verbose_name=_("contact"),
    )
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    order = models.ForeignKey(
        "accounts.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    # Who the answer is about, as it was when sent: the ticket's assignee, the account's owner.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("advisor"),
    )
    language = models.CharField(_("language"), max_length=16)
    state = models.CharField(_("state"), max_length=8, choices=InvitationState.choices)
    skip_reason = models.CharField(_("reason skipped"), max_length=16, choices=SurveySkipReason.choices, blank=True)
    error = models.TextField(_("error"), blank=True)
    outbound = models.ForeignKey(
        "mail.OutboundEmail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("email"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Set when the response is submitted: the link is used up.
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The score of its response, copied when recorded or changed (services_answers.py), so that the scorecards count
    # the invitations of a period and their answers from one index, not with a lookup of the response each.
    answer_score = models.SmallIntegerField(_("answer's score"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            models.Index(fields=["contact", "sent_at"], name="invitation_quiet_idx"),
            # Covers the survey counts (feedback/metrics.py): a year's CSAT figures read this index alone.
            models.Index(
                fields=["kind", "sent_at", "state", "campaign", "answer_score"], name="invitation_kind_sent_idx"
            ),
            models.Index(fields=["sent_at", "id"], name="invitation_sent_idx"),
            models.Index(fields=["account", "id"], name="invitation_account_idx"),
            models.Index(fields=["agent", "sent_at"], name="invitation_agent_idx"),
            models.Index(fields=["advisor", "sent_at"], name="invitation_advisor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.contact_id} ({self.state})"


class Response(models.Model):
    """A contact's answer: the score (recorded on the email's click), then the comment, the CES score and custom
    answers until submitted. Carries the kind and the links of its invitation so a scorecard reads one table."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, related_name="response", verbose_name=_("invitation")
    )
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey"))
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    score = models.SmallIntegerField(_("score"))
    # The CES answer (1–7) given on a CSAT survey's comment page; a CES survey's own answer is `score`.
    effort = models.SmallIntegerField(_("effort"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # {"question key": answer}: an int for a scale, the choice's index, true/false, text.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="survey_responses", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("contact"),
    )
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("advisor"),
    )
    language = models.CharField(_("language"), max_length=16)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["created_at", "id"], name="response_created_idx"),
            models.Index(fields=["kind", "created_at", "score"], name="response_kind_idx"),
            models.Index(fields=["account", "created_at", "id"], name="response_account_idx"),
            models.Index(fields=["agent", "kind", "created_at"], name="response_agent_idx"),
            models.Index(fields=["advisor", "kind", "created_at"], name="response_advisor_idx"),
            models.Index(fields=["ticket"], name="response_ticket_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=10), name="response_score_range"),
            models.CheckConstraint(
                condition=Q(effort__isnull=True) | Q(effort__gte=1, effort__lte=7), name="response_effort_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} ({self.account_id})"
