"""The report for a client on the surveys of its customers: response rate, CSAT and NPS with 95 % confidence
intervals (`stats.py`), the trend by month, and the comments grouped by theme (`themes.py`). Counted over the
invitations of the client's campaigns (those sent, not those skipped) and the answers to them; an answer counts
from the score click, as everywhere. A constant number of queries, whatever the number of customers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from carefront.accounts.models import Account
from carefront.feedback.models import Campaign, Invitation, InvitationState, Response, SurveyKind
from carefront.feedback.stats import Interval, csat_interval, nps_interval
from carefront.feedback.themes import Comment, LanguageThemes, themes_find

# The newest comments read for themes: enough for a client's report, bounded for the page's time.
MAX_COMMENTS = 5000


@dataclass
class MonthFigures:
    """One month of the trend (months with an invitation or an answer): the invitations sent that month and how
    many of them were answered (whenever), and the CSAT and NPS of the answers given that month."""

    month: date
    sent: int = 0
    answered: int = 0
    csat_answers: int = 0
    satisfied: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def response_rate(self) -> float | None:
        return 100 * self.answered / self.sent if self.sent else None

    @property
    def csat(self) -> float | None:
        return 100 * self.satisfied / self.csat_answers if self.csat_answers else None

    @property
    def nps(self) -> float | None:
        return 100 * (self.promoters - self.detractors) / self.nps_answers if self.nps_answers else None


@dataclass
class ClientReport:
    """What the page, the PDF and the API show."""

    client: Account
    customers: int
    sent: int
    answered: int
    csat: Interval | None
    nps: Interval | None
    months: list[MonthFigures]
    themes: list[LanguageThemes]
    comments: int
    campaigns: list[Campaign] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None

    @property
    def first_day(self) -> date | None:
        """The first day of the period, in the time zone it was given in (None: from the first survey)."""
        return self.since.date() if self.since is not None else None

    @property
    def last_day(self) -> date | None:
        """The last day of the period, `until` being the midnight after it (None: up to now)."""
        return (self.until - timedelta(days=1)).date() if self.until is not None else None

    @property
    def response_rate(self) -> float | None:
        return 100 * self.answered / self.sent if self.sent else None

    @property
    def has_themes(self) -> bool:
        return any(group.themes for group in self.themes)

    @property
    def chart(self) -> list[TrendBar]:
        return trend_bars(self)

    @property
    def chart_width(self) -> int:
        return max(len(self.months), 1) * (BAR_WIDTH + BAR_GAP)


def _period(rows: QuerySet[Any], field_name: str, since: datetime | None, until: datetime | None) -> QuerySet[Any]:
    if since is not None:
        rows = rows.filter(**{f"{field_name}__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{field_name}__lt": until})
    return rows


def _month(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def client_report(*, client: Account, since: datetime | None = None, until: datetime | None = None) -> ClientReport:
    """The report of the surveys of `client`'s customers (the caller checked access: `access_client_for_surveys`)."""
    months: dict[date, MonthFigures] = {}

    def month_of(value: Any) -> MonthFigures:
        key = _month(value)
        return months.setdefault(key, MonthFigures(month=key))

    invitations = _period(
        Invitation.objects.filter(campaign__client=client, state=InvitationState.SENT), "sent_at", since, until
    )
    for row in (
        invitations.annotate(month=TruncMonth("sent_at"))
        .values("month")
        .annotate(sent=Count("id"), answered=Count("response"))
    ):
        figures = month_of(row["month"])
        figures.sent += row["sent"]
        figures.answered += row["answered"]
    responses = _period(Response.objects.filter(invitation__campaign__client=client), "created_at", since, until)
    counted = (
        responses.annotate(month=TruncMonth("created_at"))
        .values("month", "kind")
        .annotate(
            answers=Count("id"),
            positive=Count("id", filter=Q(kind=SurveyKind.CSAT, score__gte=4) | Q(kind=SurveyKind.NPS, score__gte=9)),
            negative=Count("id", filter=Q(kind=SurveyKind.NPS, score__lte=6)),
        )
    )
    for row in counted:
        figures = month_of(row["month"])
        if row["kind"] == SurveyKind.CSAT:
            figures.csat_answers += row["answers"]
            figures.satisfied += row["positive"]
        elif row["kind"] == SurveyKind.NPS:
            figures.nps_answers += row["answers"]
            figures.promoters += row["positive"]
            figures.detractors += row["negative"]
    trend = [months[key] for key in sorted(months)]
    comments = [
        Comment(id=pk, text=text, language=language, score=score)
        for pk, text, language, score in responses.exclude(comment="")
        .order_by("-created_at", "-id")
        .values_list("id", "comment", "language", "score")[:MAX_COMMENTS]
    ]
    return ClientReport(
        client=client,
        customers=Account.objects.filter(served_for=client).count(),
        sent=sum(month.sent for month in trend),
        answered=sum(month.answered for month in trend),
        csat=csat_interval(
            satisfied=sum(month.satisfied for month in trend), answers=sum(month.csat_answers for month in trend)
        ),
        nps=nps_interval(
            promoters=sum(month.promoters for month in trend),
            detractors=sum(month.detractors for month in trend),
            answers=sum(month.nps_answers for month in trend),
        ),
        months=trend,
        themes=themes_find(comments),
        comments=len(comments),
        campaigns=list(
            Campaign.objects.filter(client=client).select_related("survey", "dependency").order_by("-id")[:50]
        ),
        since=since,
        until=until,
    )


@dataclass(frozen=True)
class TrendBar:
    """One month's bar of the report's chart (SVG coordinates, drawn without JavaScript in the page and PDF)."""

    x: int
    y: int
    height: int
    label: str
    value: str


CHART_HEIGHT = 120
BAR_WIDTH = 28
BAR_GAP = 12


def trend_bars(report: ClientReport) -> list[TrendBar]:
    """The monthly CSAT (% of 4–5) when the client's customers answered CSAT, else the monthly NPS (−100…100 drawn
    from the middle line up or down), as bars."""
    bars = []
    use_csat = report.csat is not None
    for index, month in enumerate(report.months):
        value = month.csat if use_csat else month.nps
        x = index * (BAR_WIDTH + BAR_GAP)
        label = month.month.strftime("%Y-%m")
        if value is None:
            bars.append(TrendBar(x=x, y=CHART_HEIGHT, height=0, label=label, value="—"))
            continue
        if use_csat:
            height = round(CHART_HEIGHT * value / 100)
            bars.append(TrendBar(x=x, y=CHART_HEIGHT - height, height=height, label=label, value=f"{value:.0f}%"))
        else:
            middle = CHART_HEIGHT // 2
            height = round(middle * abs(value) / 100)
            y = middle - height if value >= 0 else middle
            bars.append(TrendBar(x=x, y=y, height=height, label=label, value=f"{value:+.0f}"))
    return bars
