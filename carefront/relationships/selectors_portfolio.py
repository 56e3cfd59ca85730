"""An advisor's portfolio: their client accounts, what each needs, and what needs attention first; and what a
staff member still owns (so that nobody leaves with work that would be orphaned).

The portfolio is one query per page whatever the portfolio holds: every figure is a correlated subquery served by
an index that leads with the account, and the order (what needs attention first) is a keyset over one computed
number (1000 × overdue items + 100 − health) and the account's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import ngettext

from carefront.accounts.models import Account, ServiceModel
from carefront.desk.models import Status, Ticket
from carefront.relationships.models import (
    Cadence,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentState,
    Dependency,
    DependencyState,
    Engagement,
    EngagementStatus,
    HealthBand,
    Interaction,
)
from carefront.relationships.selectors import _count, _unfinished, _waiting

PAGE = 30
# An overdue item outweighs any difference of health: a client with something overdue comes first.
OVERDUE_WEIGHT = 1000
MAX_HEALTH = 100
UNSCORED = 50
OPEN_ENGAGEMENT = Q(status__in=[EngagementStatus.PLANNED, EngagementStatus.ACTIVE])


def _per_account(rows: QuerySet[Any], aggregate: Any) -> Subquery:
    """One figure of the outer account's rows, as a correlated subquery."""
    return Subquery(
        rows.filter(account_id=OuterRef("pk")).order_by().values("account_id").annotate(value=aggregate).values("value")
    )


def portfolio_rows(*, advisor_id: int, now: datetime) -> QuerySet[Account]:
    """The advisor's client accounts, each annotated with what the portfolio shows, most attention first."""
    # Late, or past due and not waiting on the client (a wait moves the due date on only when it ends).
    overdue_commitment = Q(state=CommitmentState.LATE, done_at__isnull=True) | (
        Q(state=CommitmentState.OPEN, due_at__lt=now) & ~Q(_waiting(commitment=OuterRef("pk")))
    )
    late_dependency = Q(state=DependencyState.OPEN, due_at__lt=now)
    # A check-in whose time passed and that is neither held nor yet marked missed by the job.
    overdue_check_in = Q(state=CheckInState.SCHEDULED, scheduled_at__lt=now)
    return (
        Account.objects.filter(owner_id=advisor_id, service_model=ServiceModel.CLIENT)
        .annotate(
            open_commitments=_count(Commitment, "account", _unfinished()),
            overdue_commitments=_count(Commitment, "account", overdue_commitment),
            open_dependencies=_count(Dependency, "account", Q(state=DependencyState.OPEN)),
            late_dependencies=_count(Dependency, "account", late_dependency),
            overdue_check_ins=_count(CheckIn, "account", overdue_check_in),
            open_tickets=_count(Ticket, "account", ~Q(status__in=[Status.SOLVED, Status.CLOSED])),
            next_check_in=_per_account(
                CheckIn.objects.filter(state=CheckInState.SCHEDULED, scheduled_at__gte=now), Min("scheduled_at")
            ),
            last_interaction=_per_account(Interaction.objects.all(), Max("occurred_at")),
        )
        .annotate(health_score=F("health__score"), health_band=F("health__band"))
        # Then the least healthy first; a client not yet scored counts as middling. (The overdue total itself is
        # added up in Python: selecting it too would make the database count everything once more.)
        .annotate(
            attention=(F("overdue_commitments") + F("late_dependencies") + F("overdue_check_ins")) * OVERDUE_WEIGHT
            + (MAX_HEALTH - Coalesce(F("health__score"), Value(UNSCORED), output_field=IntegerField()))
        )
        .order_by("-attention", "id")
    )


@dataclass(frozen=True)
class PortfolioCursor:
    """Where a portfolio page starts: after the account with this attention and id."""

    attention: int
    id: int

    def encode(self) -> str:
        return f"{self.attention}-{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> PortfolioCursor | None:
        """The cursor in `raw`, or None for anything that is not one (the first page is shown)."""
        parts = (raw or "").split("-")
        if len(parts) != 2 or not all(part.isdigit() and len(part) <= 18 for part in parts):
            return None
        return cls(attention=int(parts[0]), id=int(parts[1]))


@dataclass(frozen=True)
class PortfolioPage:
    advisor: Any
    accounts: list[Account]
    next_cursor: str | None


def portfolio_page(
    *, advisor: Any, after: PortfolioCursor | None = None, size: int = PAGE, now: datetime | None = None
) -> PortfolioPage:
    """One page of the advisor's portfolio (the caller has checked access with `access_portfolio`), one query."""
    rows = portfolio_rows(advisor_id=advisor.pk, now=now or timezone.now())
    if after is not None:
        rows = rows.filter(Q(attention__lt=after.attention) | Q(attention=after.attention, id__gt=after.id))
    accounts = list(rows[: size + 1])
    more = len(accounts) > size
    accounts = accounts[:size]
    for account in accounts:
        account.overdue = account.overdue_commitments + account.late_dependencies + account.overdue_check_ins  # type: ignore[attr-defined]
        band = account.health_band  # type: ignore[attr-defined]
        account.health_label = HealthBand(band).label if band else ""  # type: ignore[attr-defined]
    last = accounts[-1] if more and accounts else None
    cursor = PortfolioCursor(attention=last.attention, id=last.pk).encode() if last is not None else None  # type: ignore[attr-defined]
    return PortfolioPage(advisor=advisor, accounts=accounts, next_cursor=cursor)


# --- what a staff member owns ----------------------------------------------------------------------


@dataclass(frozen=True)
class OwnedItems:
    """What a staff member still owns that someone must take over before they leave."""

    accounts: int
    clients: int
    commitments: int
    engagements: int
    cadences: int
    check_ins: int

    @property
    def total(self) -> int:
        return self.accounts + self.commitments + self.engagements + self.cadences + self.check_ins


def work_owned_by(*, user_id: int, where: Q | None = None) -> dict[str, QuerySet[Any]]:
    """The unfinished work a staff member owns (within `where`), by kind: commitments not yet kept, open
    engagements, active cadences and scheduled check-ins."""
    where = where or Q()
    return {
        "commitments": Commitment.objects.filter(where, _unfinished(), owner_id=user_id),
        "engagements": Engagement.objects.filter(where, OPEN_ENGAGEMENT, owner_id=user_id),
        "cadences": Cadence.objects.filter(where, active=True, owner_id=user_id),
        "check_ins": CheckIn.objects.filter(where, state=CheckInState.SCHEDULED, owner_id=user_id),
    }


def owned_items(*, user_id: int) -> OwnedItems:
    """The accounts (clients among them) and the unfinished work the staff member owns: five counts, each on an
    index that leads with the owner."""
    figures = (
        Account.objects.filter(owner_id=user_id)
        .order_by()
        .aggregate(total=Count("pk"), clients=Count("pk", filter=Q(service_model=ServiceModel.CLIENT)))
    )
    work = {kind: rows.count() for kind, rows in work_owned_by(user_id=user_id).items()}
    return OwnedItems(accounts=figures["total"], clients=figures["clients"], **work)


def still_owned_refusal(user_id: int) -> str:
    """Why a staff member cannot be deactivated yet (the relationships work they still own), or "" when nothing."""
    items = owned_items(user_id=user_id)
    work = items.commitments + items.engagements + items.cadences + items.check_ins
    if not work:
        return ""
    return ngettext(
        "They still own {count} piece of client work (commitments, engagements, cadences, check-ins); hand over "
        "their portfolio first.",
        "They still own {count} pieces of client work (commitments, engagements, cadences, check-ins); hand over "
        "their portfolio first.",
        work,
    ).format(count=work)


def accounts_with_work_of(*, user_id: int) -> list[int]:
    """The accounts on which the staff member owns unfinished work, whoever owns the account."""
    ids: set[int] = set()
    for rows in work_owned_by(user_id=user_id).values():
        ids.update(rows.order_by().values_list("account_id", flat=True).distinct())
    return sorted(ids)
