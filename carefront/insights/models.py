"""What the models say of each account, the fits behind it, the advisor's recommendations and their reviews."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeUnit(models.TextChoices):
    WEEKS = "weeks", _("Weeks")
    DAYS = "days", _("Days")


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")
    NO_ORDERS = "no_orders", _("No orders")


class Advice(models.TextChoices):
    STAY_CUSTOMER = "stay_customer", _("Stay customer")
    OFFER_CLIENT = "offer_client", _("Offer client service")
    KEEP_CLIENT = "keep_client", _("Keep client")
    CLIENT_AT_RISK = "client_at_risk", _("Client at risk")


class InsightSettings(models.Model):
    """The business's choices for the models and the advisor (one row)."""

    time_unit = models.CharField(_("time unit"), max_length=8, choices=TimeUnit.choices, default=TimeUnit.WEEKS)
    horizon_months = models.PositiveSmallIntegerField(_("lifetime value horizon (months)"), default=12)
    annual_discount_rate = models.DecimalField(
        _("annual discount rate"), max_digits=5, decimal_places=4, default=Decimal("0.10")
    )
    advisor_hours_per_month = models.DecimalField(
        _("advisor hours per client per month"), max_digits=6, decimal_places=2, default=Decimal("3.00")
    )
    # Orders in this currency are valued; empty means the currency most orders are in.
    currency = models.CharField(_("currency of value"), max_length=3, blank=True)
    # {"USD": "0.92"}: what one unit of another currency is worth in the currency of value. Orders in a
    # currency without a rate count as purchases but not as money.
    exchange_rates = models.JSONField(_("exchange rates"), default=dict, blank=True)
    suppress_days = models.PositiveIntegerField(_("days a declined suggestion stays quiet"), default=90)
    # The advisor's thresholds by name (carefront.insights.advisor.Thresholds); missing names take the defaults.
    thresholds = models.JSONField(_("advisor thresholds"), default=dict, blank=True)
    last_full_refresh_at = models.DateTimeField(_("last full refresh"), null=True, blank=True)
    last_refresh_at = models.DateTimeField(_("last refresh"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("insight settings")
        verbose_name_plural = _("insight settings")

    def __str__(self) -> str:
        return f"insight settings ({self.time_unit})"


class ModelFit(models.Model):
    """One fit of a population model (BG/NBD, Gamma-Gamma, RFM quintile breaks), kept so scores can be explained."""

    class Kind(models.TextChoices):
        BG_NBD = "bg_nbd", _("BG/NBD purchase model")
        GAMMA_GAMMA = "gamma_gamma", _("Gamma-Gamma spend model")
        RFM = "rfm", _("RFM quintile breaks")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict)
    log_likelihood = models.FloatField(_("log-likelihood"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    time_unit = models.CharField(_("time unit"), max_length=8, choices=TimeUnit.choices, default=TimeUnit.WEEKS)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    # Why the fit fell back (too little data, no repeat buyers), empty when it converged.
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    seconds = models.FloatField(_("seconds"), default=0)
    fitted_at = models.DateTimeField(_("fitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("model fit")
        verbose_name_plural = _("model fits")
        indexes = [models.Index(fields=["kind", "-fitted_at"], name="modelfit_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.fitted_at:%Y-%m-%d}"


class AccountInsight(models.Model):
    """The current scores of one account: RFM, P(alive), lifetime value, cost to serve and the advice."""

    account = models.OneToOneField(
        "accounts.Account",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="insight",
        verbose_name=_("account"),
    )
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices)
    recency_score = models.PositiveSmallIntegerField(_("recency score"), null=True, blank=True)
    frequency_score = models.PositiveSmallIntegerField(_("frequency score"), null=True, blank=True)
    monetary_score = models.PositiveSmallIntegerField(_("monetary score"), null=True, blank=True)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    orders_12m = models.PositiveIntegerField(_("orders in 12 months"), default=0)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    spend_12m = models.DecimalField(_("spend in 12 months"), max_digits=16, decimal_places=2, default=Decimal(0))
    spend_prior_12m = models.DecimalField(
        _("spend in the 12 months before"), max_digits=16, decimal_places=2, default=Decimal(0)
    )
    p_alive = models.FloatField(_("P(alive)"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    clv = models.DecimalField(_("lifetime value"), max_digits=16, decimal_places=2, null=True, blank=True)
    cost_month = models.DecimalField(_("cost to serve per month"), max_digits=12, decimal_places=2, default=Decimal(0))
    client_cost_month = models.DecimalField(
        _("cost as a client per month"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    currency = models.CharField(_("currency"), max_length=3)
    advice = models.CharField(_("advice"), max_length=16, choices=Advice.choices)
    score = models.PositiveSmallIntegerField(_("client fit score"), default=0)
    # [{"code": ..., "points": ..., "params": {...}}]: rendered in words by carefront.insights.advisor.
    reasons = models.JSONField(_("reasons"), default=list)
    inputs = models.JSONField(_("inputs"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("account insight")
        verbose_name_plural = _("account insights")
        indexes = [
            models.Index(fields=["rfm_segment", "account"], name="insight_segment_idx"),
            models.Index(fields=["advice", "account"], name="insight_advice_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.advice}"


class Recommendation(models.Model):
    """A change in an account's advice, stored with the inputs and reasons that led to it."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="recommendations", verbose_name=_("account")
    )
    advice = models.CharField(_("advice"), max_length=16, choices=Advice.choices)
    previous = models.CharField(_("previous advice"), max_length=16, choices=Advice.choices, blank=True)
    score = models.PositiveSmallIntegerField(_("client fit score"), default=0)
    reasons = models.JSONField(_("reasons"), default=list)
    inputs = models.JSONField(_("inputs"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        indexes = [
            models.Index(fields=["account", "-id"], name="recommendation_account_idx"),
            models.Index(fields=["created_at"], name="recommendation_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.previous}->{self.advice}"


class Review(models.Model):
    """A manager's task: decide on a recommendation to offer an account client service."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="insight_reviews", verbose_name=_("account")
    )
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("recommendation")
    )
    advice = models.CharField(_("advice"), max_length=16, choices=Advice.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # A declined suggestion of the same advice is not raised again before this moment.
    quiet_until = models.DateTimeField(_("quiet until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [
            models.Index(fields=["state", "-id"], name="review_state_idx"),
            models.Index(fields=["account", "-id"], name="review_account_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(state="open"), name="review_one_open_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.advice} {self.state}"


class Segment(models.Model):
    """A saved segment: RFM, demographic and behavioural conditions, usable as a filter wherever accounts are."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    # {"rfm": [...], "advice": [...], "service_model": [...], "country": [...], "locale": [...], "kind": [...],
    #  "channels": [...], "tiers": [...], "order_categories": [...]}: every named list must match (AND), any
    # value within a list (OR). Checked by carefront.insights.segments.conditions_clean.
    conditions = models.JSONField(_("conditions"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ItemPair(models.Model):
    """Accounts who bought `item` also bought `other`: one neighbour of an item, from the nightly fit."""

    item = models.CharField(_("item"), max_length=200)
    other = models.CharField(_("other item"), max_length=200)
    score = models.FloatField(_("similarity"))
    support = models.PositiveIntegerField(_("accounts who bought both"))

    class Meta:
        verbose_name = _("item pair")
        verbose_name_plural = _("item pairs")
        indexes = [models.Index(fields=["item", "-score"], name="itempair_item_idx")]

    def __str__(self) -> str:
        return f"{self.item} -> {self.other}"


class GoalState(models.TextChoices):
    PENDING = "pending", _("Not measured yet")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


class TeamGoal(models.Model):
    """A team's target for one figure by a deadline, with the baseline measured when it was set."""

    name = models.CharField(_("name"), max_length=200)
    # A definition's name in carefront.insights.metrics.definitions.DEFINITIONS.
    metric = models.CharField(_("metric"), max_length=64)
    # The metric filters except the period ({"team": 3, "channel": "email"}), checked by metric_filters_build.
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    start = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    baseline_start = models.DateField(_("baseline from"))
    baseline_end = models.DateField(_("baseline to"))
    baseline_value = models.FloatField(_("baseline"), null=True, blank=True)
    baseline_count = models.PositiveIntegerField(_("baseline rows"), default=0)
    target_value = models.FloatField(_("target"))
    # The change entered (-10.0 for "−10 %") when the target was given relative to the baseline; else null.
    target_change_percent = models.FloatField(_("target change (%)"), null=True, blank=True)
    lower_is_better = models.BooleanField(_("lower is better"))
    team = models.ForeignKey(
        "core.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="goals", verbose_name=_("team")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Kept by goals_measure from the latest check, so the list filters and shows it without reading the checks.
    state = models.CharField(_("state"), max_length=16, choices=GoalState.choices, default=GoalState.PENDING)
    met_on = models.DateField(_("met on"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("team goal")
        verbose_name_plural = _("team goals")
        indexes = [models.Index(fields=["archived_at", "-id"], name="insights_goal_active")]

    def __str__(self) -> str:
        return self.name


class GoalCheck(models.Model):
    """A goal's figure measured from its start to the end of one day (one row per goal and day)."""

    goal = models.ForeignKey(TeamGoal, on_delete=models.CASCADE, related_name="checks", verbose_name=_("goal"))
    day = models.DateField(_("day"))
    value = models.FloatField(_("value"), null=True, blank=True)
    count = models.PositiveIntegerField(_("rows"), default=0)
    measured_at = models.DateTimeField(_("measured at"), default=timezone.now)

    class Meta:
        verbose_name = _("goal check")
        verbose_name_plural = _("goal checks")
        constraints = [models.UniqueConstraint(fields=["goal", "day"], name="insights_goal_check_day")]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.day}: {self.value}"


class GoalDigest(models.Model):
    """The weekly goals email sent to one person for one week: its row is what makes a second run send nothing."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    week = models.DateField(_("week (its Monday)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("goal digest")
        verbose_name_plural = _("goal digests")
        constraints = [models.UniqueConstraint(fields=["recipient", "week"], name="insights_goal_digest_week")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.week}"


class TicketFactDay(models.Model):
    """One UTC day, or one month once it has ended, of one family of ticket facts (insights/metrics/facts.py): a cache
    of what the service scorecard reads of the tickets keyed on that day or month, used only while its signature
    matches theirs."""

    class Span(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")

    family = models.CharField(_("family"), max_length=16)
    span = models.CharField(_("span"), max_length=5, choices=Span.choices, default=Span.DAY)
    day = models.DateField(_("day"))  # a month's first day
    signature = models.CharField(_("signature"), max_length=100)
    facts = models.BinaryField(_("facts"))
    built_at = models.DateTimeField(_("built at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket facts of a day")
        verbose_name_plural = _("ticket facts of days")
        constraints = [models.UniqueConstraint(fields=["family", "span", "day"], name="ticket_fact_day_unique")]

    def __str__(self) -> str:
        return f"{self.family} {self.span} {self.day}"


class FactChange(models.Model):
    """A mark that rows the ticket facts read changed on a UTC day: appended by database triggers on the tickets,
    their messages, SLA clocks and status and tier events (migration 0004) and the CSAT invitations (0006), whatever
    wrote them. The marks of a (kind, day) are the signature a stored day of facts is checked against; the queue keeps
    the last one of each."""

    class Kind(models.TextChoices):
        TICKET = "ticket", _("Ticket")
        EVENT = "event", _("Status or tier change")
        CLOCK = "clock", _("SLA clock")
        MESSAGE = "message", _("Message")
        SURVEY = "survey", _("CSAT invitation")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("fact change")
        verbose_name_plural = _("fact changes")
        indexes = [models.Index(fields=["day", "kind", "id"], name="fact_change_day_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}"
