"""Reads of the workspace: the viewer's preferences on every page, and the inbox."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.models import ServiceModel
from carefront.core.models import StaffProfile, Team
from carefront.core.selectors import staff_members, supported_language
from carefront.desk.models import Priority, PriorityRank, Status, Ticket, Tier
from carefront.desk.selectors import TicketFilters, tickets_count_by, tickets_list
from carefront.web.models import SavedView

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def viewer_preferences(user: Any) -> tuple[str, str | None] | None:
    """(time zone, language) for a signed-in staff member or contact; None for anonymous visitors."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return profile.time_zone, supported_language(profile.language)
    contact = getattr(user, "contact", None)
    if contact is not None:
        return contact.time_zone or contact.account.time_zone, supported_language(contact.language)
    return None


# --- Inbox -------------------------------------------------------------------------------------------

# Statuses in which a ticket still waits on someone: the queues count these.
ACTIVE_STATUSES: tuple[str, ...] = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
NOT_CLOSED_STATUSES: tuple[str, ...] = (*ACTIVE_STATUSES, Status.SOLVED)
RECENTLY_SOLVED = timedelta(days=7)
PAGE_SIZE = 30
MAX_SAVED_VIEWS = 30
SORTS: tuple[tuple[str, Any], ...] = (
    ("newest", gettext_lazy("Newest")),
    ("oldest", gettext_lazy("Oldest")),
    ("updated", gettext_lazy("Recently updated")),
    ("priority", gettext_lazy("Priority")),
)
SORT_KEYS = frozenset(key for key, _label in SORTS)
VIEW_KEYS = (
    "all",
    "mine",
    "unassigned",
    "team",
    "tier-0",
    "tier-1",
    "tier-2",
    "tier-3",
    "client",
    "sla-breached",
    "sla-warning",
    "pending",
    "solved",
)
PRIORITY_RANK: dict[str, int] = {Priority.URGENT: 3, Priority.HIGH: 2, Priority.NORMAL: 1, Priority.LOW: 0}
# The inbox's own filter fields: what a personal saved view stores (TicketFilters has more, for the API).
INBOX_FILTER_TYPES: dict[str, type] = {
    "statuses": list,
    "priority": str,
    "tier": int,
    "channel": str,
    "team": int,
    "assignee": int,
    "unassigned": bool,
    "tag": str,
    "service_model": str,
    "saved_segment": int,
}


@dataclass(frozen=True)
class InboxQuery:
    """What the inbox shows: a base view, filters that narrow it, and the order."""

    view: str = "all"
    filters: TicketFilters = field(default_factory=TicketFilters)
    sort: str = "newest"

    def as_json(self) -> dict[str, Any]:
        """The query as plain JSON, for a saved view: only the filters that are set."""
        filters: dict[str, Any] = {}
        for name in INBOX_FILTER_TYPES:
            value = getattr(self.filters, name)
            if value is None or value is False or value == "":
                continue
            filters[name] = list(value) if isinstance(value, tuple) else value
        return {"view": self.view, "filters": filters, "sort": self.sort}

    @classmethod
    def from_json(cls, data: Any) -> InboxQuery:
        """The query a saved view stored; anything unexpected (an older format) is dropped, not fatal."""
        if not isinstance(data, dict):
            return cls()
        raw = data.get("filters") if isinstance(data.get("filters"), dict) else {}
        assert isinstance(raw, dict)
        values: dict[str, Any] = {}
        for name, kind in INBOX_FILTER_TYPES.items():
            value = raw.get(name)
            # bool is an int to Python: check the exact type so `true` never becomes tier 1.
            if name == "statuses" and isinstance(value, list):
                values[name] = tuple(str(item) for item in value if item in Status.values)
            elif type(value) is kind:
                values[name] = value
        view = data.get("view") if data.get("view") in VIEW_KEYS else "all"
        sort = data.get("sort") if data.get("sort") in SORT_KEYS else "newest"
        return cls(view=str(view), filters=TicketFilters(**values), sort=str(sort))


@dataclass(frozen=True)
class InboxView:
    """One entry of the inbox sidebar: a built-in queue or a personal saved view, with its live count."""

    key: str
    label: str
    group: str
    filters: tuple[TicketFilters, ...]
    count: int | None = None
    saved_view: SavedView | None = None
    # A saved view that may hold closed tickets counts the others only: see `inbox_sidebar`.
    count_skips_closed: bool = False


@dataclass(frozen=True)
class InboxPage:
    """One page of the list, and the cursors of the pages around it (None at either end)."""

    tickets: list[Ticket]
    next_cursor: str | None
    previous_cursor: str | None


@dataclass(frozen=True)
class InboxSidebar:
    """The views of the sidebar, grouped as shown, and the one being looked at."""

    views: list[InboxView]
    active: InboxView

    @property
    def counted(self) -> bool:
        """False when the counts are left for the page to fetch (see inbox_screen)."""
        return any(view.count is not None for view in self.views)

    @property
    def main_views(self) -> list[InboxView]:
        return [view for view in self.views if view.group == "main"]

    @property
    def tier_views(self) -> list[InboxView]:
        return [view for view in self.views if view.group == "tier"]

    @property
    def personal_views(self) -> list[InboxView]:
        return [view for view in self.views if view.group == "personal"]


@dataclass(frozen=True)
class InboxScreen:
    """Everything the inbox page shows, read in a constant number of queries."""

    sidebar: InboxSidebar
    page: InboxPage
    teams: list[Team]
    staff: list[Any]


def _builtin_views(*, user: Any, team_ids: tuple[int, ...], now: datetime) -> list[InboxView]:
    tiers = dict(Tier.choices)
    views = [
        InboxView("all", _("All tickets"), "main", (TicketFilters(),)),
        InboxView(
            "mine", _("My open tickets"), "main", (TicketFilters(assignee=user.pk, statuses=(Status.NEW, Status.OPEN)),)
        ),
        InboxView("unassigned", _("Unassigned"), "main", (TicketFilters(unassigned=True, statuses=ACTIVE_STATUSES),)),
        InboxView("team", _("My team"), "main", (TicketFilters(teams=team_ids, statuses=ACTIVE_STATUSES),)),
    ]
    views += [
        InboxView(f"tier-{tier}", str(tiers[tier]), "tier", (TicketFilters(tier=tier, statuses=ACTIVE_STATUSES),))
        for tier in Tier.values
    ]
    views += [
        InboxView(
            "client",
            _("Client tickets"),
            "main",
            (TicketFilters(service_model=ServiceModel.CLIENT, statuses=ACTIVE_STATUSES),),
        ),
        InboxView("sla-breached", _("SLA breached"), "main", (TicketFilters(sla="breached"),)),
        InboxView("sla-warning", _("SLA due soon"), "main", (TicketFilters(sla="warning"),)),
        InboxView("pending", _("Waiting on requester"), "main", (TicketFilters(statuses=(Status.PENDING,)),)),
        InboxView(
            "solved",
            _("Recently solved"),
            "main",
            # Closing keeps solved_at, so a ticket solved and closed this week still counts.
            (TicketFilters(statuses=(Status.SOLVED, Status.CLOSED), solved_since=now - RECENTLY_SOLVED),),
        ),
    ]
    return views


def saved_views_of(*, user: Any) -> list[SavedView]:
    """A staff member's own saved views, by name."""
    return list(SavedView.objects.filter(owner_id=user.pk).order_by("name", "id")[:MAX_SAVED_VIEWS])


def inbox_teams(*, user: Any) -> list[Team]:
    """Every team by name, each marked `is_mine` when the user belongs to it."""
    membership = StaffProfile.teams.through.objects.filter(team_id=OuterRef("pk"), staffprofile__user_id=user.pk)
    return list(Team.objects.annotate(is_mine=Exists(membership)).order_by("name"))


def _may_hold_closed(filters: tuple[TicketFilters, ...]) -> bool:
    """Whether a filter set can match closed tickets of any age (a solved-since bound keeps it recent)."""
    if any(item.solved_since is not None for item in filters):
        return False
    for item in filters:
        if item.status and item.status != Status.CLOSED:
            return False
        if item.statuses is not None and Status.CLOSED not in item.statuses:
            return False
    return True


def inbox_sidebar(
    *, user: Any, teams: list[Team], active_key: str, now: datetime | None = None, count: bool = True
) -> InboxSidebar:
    """The sidebar: built-in queues and the user's saved views, each counted (one aggregate query) unless
    `count` is False."""
    now = now or timezone.now()
    team_ids = tuple(team.pk for team in teams if getattr(team, "is_mine", False))
    views = _builtin_views(user=user, team_ids=team_ids, now=now)
    by_key = {view.key: view for view in views}
    for saved in saved_views_of(user=user):
        query = InboxQuery.from_json(saved.query)
        base = by_key.get(query.view, by_key["all"])
        filters = (*base.filters, query.filters)
        views.append(
            InboxView(
                f"saved-{saved.pk}",
                saved.name,
                "personal",
                filters,
                saved_view=saved,
                count_skips_closed=_may_hold_closed(filters),
            )
        )
    # Closed tickets are the archive, nearly every ticket ever handled: counting them would read most of
    # the table on every page load, so a saved view's count leaves them out. "All tickets" has no count.
    not_closed = TicketFilters(statuses=NOT_CLOSED_STATUSES)
    counted_filters = {
        view.key: (*view.filters, not_closed) if view.count_skips_closed else view.filters
        for view in views
        if view.key != "all"
    }
    if count:
        counts = tickets_count_by(user=user, named_filters=counted_filters)
        views = [replace(view, count=counts.get(view.key)) for view in views]
    active = next((view for view in views if view.key == active_key), views[0])
    return InboxSidebar(views=views, active=active)


def _cursor_encode(ticket: Ticket, sort: str) -> str:
    if sort == "updated":
        micros = (ticket.updated_at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}_{ticket.pk}"
    if sort == "priority":
        return f"{PRIORITY_RANK.get(ticket.priority, 0)}_{ticket.pk}"
    return str(ticket.pk)


def _cursor_decode(raw: str | None, sort: str) -> tuple[Any, ...] | None:
    """The sort key and id a cursor names; None for a missing or malformed cursor (the first page)."""
    if not raw:
        return None
    parts = raw.split("_")
    if not all(part.isdigit() and len(part) <= 18 for part in parts):
        return None
    if sort in {"updated", "priority"}:
        if len(parts) != 2:
            return None
        key: Any = int(parts[0])
        if sort == "updated":
            try:
                key = EPOCH + timedelta(microseconds=key)
            except OverflowError:
                return None
        return (key, int(parts[1]))
    return (int(parts[0]),) if len(parts) == 1 else None


def _sorted_page(
    tickets: QuerySet[Ticket], *, sort: str, cursor: tuple[Any, ...] | None, forward: bool
) -> QuerySet[Ticket]:
    """Keyset order and position: rows strictly after `cursor` in the walking direction, sort key then id."""
    descending = sort != "oldest"
    if not forward:
        descending = not descending
    if sort == "priority":
        tickets = tickets.alias(priority_rank=PriorityRank())
    key = {"updated": "updated_at", "priority": "priority_rank"}.get(sort)
    fields = [key, "id"] if key else ["id"]
    tickets = tickets.order_by(*(f"-{name}" if descending else name for name in fields))
    if cursor is None:
        return tickets
    op = "lt" if descending else "gt"
    if key is None:
        return tickets.filter(**{f"id__{op}": cursor[0]})
    # "key <= k AND (key < k OR id < i)": the first half lets an index on (key, id) seek straight to the page.
    return tickets.filter(**{f"{key}__{op}e": cursor[0]}).filter(
        Q(**{f"{key}__{op}": cursor[0]}) | Q(**{f"id__{op}": cursor[1]})
    )


# See inbox_page: how many ids the page query asks for, whatever the page size.
ID_WINDOW = 64


def inbox_page(
    *,
    user: Any,
    filters: tuple[TicketFilters, ...],
    sort: str,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> InboxPage:
    """One page of tickets matching every filter set, in `sort` order, after or before a cursor.

    The page's ids are chosen by a query that reads only the ticket table, and only those rows are
    joined to their account, requester and assignee: a queue of thousands is sorted without joining
    thousands of rows.
    """
    sort = sort if sort in SORT_KEYS else "newest"
    first, *more = filters or (TicketFilters(),)
    matching = tickets_list(user=user, filters=first, also=more)
    before_cursor = _cursor_decode(before, sort)
    after_cursor = None if before_cursor is not None else _cursor_decode(after, sort)
    forward = before_cursor is None
    cursor = after_cursor if forward else before_cursor
    # A query of its own, not a subquery, asking for at least ID_WINDOW ids: below about forty rows SQLite's
    # planner prefers the filter's index and sorts every match (a quarter of a million tickets for "open or
    # pending, by e-mail, by last update": 160 ms) over walking the sort's index and stopping early (2 ms).
    window = max(size + 1, ID_WINDOW)
    ordered = _sorted_page(matching, sort=sort, cursor=cursor, forward=forward)
    ids = list(ordered.values_list("pk", flat=True)[:window])[: size + 1]
    page = tickets_list(user=user, filters=TicketFilters(), staff_detail=True).filter(pk__in=ids)
    rows = list(_sorted_page(page, sort=sort, cursor=None, forward=forward))
    more_rows = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
        return InboxPage(
            tickets=rows,
            next_cursor=_cursor_encode(rows[-1], sort) if rows else None,
            previous_cursor=_cursor_encode(rows[0], sort) if more_rows else None,
        )
    return InboxPage(
        tickets=rows,
        next_cursor=_cursor_encode(rows[-1], sort) if more_rows else None,
        previous_cursor=_cursor_encode(rows[0], sort) if after_cursor is not None and rows else None,
    )


def inbox_screen(
    *,
    user: Any,
    query: InboxQuery,
    saved_view: SavedView | None = None,
    after: str | None = None,
    before: str | None = None,
) -> InboxScreen:
    """The inbox: the sidebar's views, the teams and staff the filters offer, and one page of the list.

    The sidebar's counts are not here: the page fetches them right after it loads (and every minute), so the
    list shows without waiting for an aggregate over every open ticket (a third of the page's time at 1M).
    """
    teams = inbox_teams(user=user)
    active_key = f"saved-{saved_view.pk}" if saved_view else query.view
    sidebar = inbox_sidebar(user=user, teams=teams, active_key=active_key, count=False)
    base = next((view for view in sidebar.views if view.key == query.view), sidebar.views[0])
    page = inbox_page(user=user, filters=(*base.filters, query.filters), sort=query.sort, after=after, before=before)
    return InboxScreen(sidebar=sidebar, page=page, teams=teams, staff=list(staff_members()))
