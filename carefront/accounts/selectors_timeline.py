"""The account timeline: one newest-first stream of everything that happened with an account.

Each app contributes its kinds of entries as `TimelineSource`s, registered from its `AppConfig.ready()`
(`timeline_source_register`), so this module imports no other app: accounts registers its changes and orders,
desk its tickets, messages and ticket changes, relationships its interactions, check-ins, commitments,
dependencies and engagements; feedback will add survey responses the same way.

A page is keyset-paginated across the kinds by (time, rank, id), newest first, whatever the depth of the cursor:
one query picks the page, a UNION ALL of each kind's next keys (each branch read from an index on (account, time,
id)), then one query per kind on the page reads only its rows of the page, with what their partials show. So a
page reads a page of rows, not a page of every kind; a single kind is read in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.core.access import is_staff_member

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIMELINE_PAGE = 30


@dataclass(frozen=True, order=True)
class TimelineCursor:
    """A position in a timeline: entries are ordered by time, then kind (its rank), then id, newest first."""

    at: datetime
    rank: int
    id: int

    def encode(self) -> str:
        return f"{(self.at - EPOCH) // timedelta(microseconds=1)}-{self.rank}-{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> TimelineCursor | None:
        """The cursor in `raw`, or None for anything that is not one."""
        parts = (raw or "").split("-")
        if len(parts) != 3 or not all(part.isdigit() and len(part) <= 19 for part in parts):
            return None
        micros, rank, pk = (int(part) for part in parts)
        try:
            at = EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            return None
        return cls(at=at, rank=rank, id=pk)


@dataclass(frozen=True)
class TimelineSummary:
    """An entry told in words for the API: a title, a short summary, and the ids of what it links to."""

    title: str
    summary: str = ""
    links: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TimelineSource:
    """One kind of timeline entry, registered by the app that owns its rows.

    - `key`: the kind's name in URLs and the API (`?kind=message`);
    - `rank`: unique; breaks ties between entries of the same instant (higher is shown first);
    - `rows(user, account_id)`: the account's rows of this kind the user may see, with what `template` and
      `describe` read joined in (select_related); the timeline adds the order and the keyset filter;
    - `time_field`: the row's moment on the timeline; an index on (account, time_field, id) must serve it;
    - `template`: the partial showing one entry (`entry.item` is the row);
    - `describe(row)`: the entry for the API;
    - `portal`: whether a portal contact sees this kind at all (internal kinds are never queried for them);
    """

    key: str
    label: str | Promise
    rank: int
    rows: Callable[[Any, int], QuerySet[Any]]
    time_field: str
    template: str
    describe: Callable[[Any], TimelineSummary]
    portal: bool = False


_SOURCES: dict[str, TimelineSource] = {}


def timeline_source_register(source: TimelineSource) -> None:
    """Add a kind to every account's timeline; called from an app's `ready()`. A key or rank taken twice is a
    configuration error (registering the same source again is harmless)."""
    for other in _SOURCES.values():
        if other == source:
            return
        if other.key == source.key or other.rank == source.rank:
            raise ImproperlyConfigured(
                f"Timeline kind {source.key!r} (rank {source.rank}) clashes with {other.key!r} (rank {other.rank})."
            )
    _SOURCES[source.key] = source


def timeline_sources(*, user: Any) -> list[TimelineSource]:
    """The kinds of entries the user may see, in a stable order (by rank)."""
    staff = is_staff_member(user)
    return sorted((s for s in _SOURCES.values() if staff or s.portal), key=lambda source: source.rank)


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened with an account: a row of one of the registered kinds."""

    cursor: TimelineCursor
    source: TimelineSource
    item: Any

    @property
    def kind(self) -> str:
        return self.source.key

    @property
    def at(self) -> datetime:
        return self.cursor.at

    def describe(self) -> TimelineSummary:
        return self.source.describe(self.item)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


def _older_than(cursor: TimelineCursor | None, *, rank: int, time_field: str) -> Q:
    """Rows that come after `cursor` in the newest-first order (time, rank, id)."""
    if cursor is None:
        return Q()
    if rank < cursor.rank:
        return Q(**{f"{time_field}__lte": cursor.at})
    if rank > cursor.rank:
        return Q(**{f"{time_field}__lt": cursor.at})
    # The range on its own first, so that the index on (account, time, id) is searched from the cursor on.
    return Q(**{f"{time_field}__lte": cursor.at}) & (Q(**{f"{time_field}__lt": cursor.at}) | Q(id__lt=cursor.id))


def _keys_sql(branches: list[tuple[TimelineSource, QuerySet[Any]]], *, limit: int) -> tuple[str, list[Any]]:
    """One UNION ALL of every kind's next `limit` keys (rank, time, id), the newest `limit` of them first.

    Each branch keeps its own ORDER BY and LIMIT inside a derived table, so that each reads its own index from the
    cursor on; the outer order is by column position, which SQLite and PostgreSQL both take after a compound
    select (on SQLite the times are ISO text, whose order is the times' order)."""
    parts: list[str] = []
    params: list[Any] = []
    for position, (source, keys) in enumerate(branches):
        compiler = keys.query.get_compiler(using=keys.db)
        sql, branch_params = compiler.as_sql()
        # Only the kind's rank (an int) and an alias are formatted in; the values stay parameters.
        parts.append(f"SELECT {int(source.rank)} AS timeline_rank, k{position}.* FROM ({sql}) k{position}")  # noqa: S608
        params.extend(branch_params)
    return " UNION ALL ".join(parts) + f" ORDER BY 2 DESC, 1 DESC, 3 DESC LIMIT {int(limit)}", params


def _entries(source: TimelineSource, rows: Any) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            cursor=TimelineCursor(getattr(row, source.time_field), source.rank, row.pk), source=source, item=row
        )
        for row in rows
    ]


def account_timeline(
    *,
    user: Any,
    account: Any,
    kinds: Collection[str] | None = None,
    before: TimelineCursor | None = None,
    limit: int = TIMELINE_PAGE,
) -> TimelinePage:
    """The account's entries of the given kinds (all the user may see when None or empty), newest first, after
    `before`: one query for the page's keys across the kinds, then one per kind on the page for its rows (a single
    kind: one query)."""
    sources = [s for s in timeline_sources(user=user) if not kinds or s.key in kinds]
    if not sources:
        return TimelinePage(entries=[], next_cursor=None)

    def following(source: TimelineSource) -> QuerySet[Any]:
        after = _older_than(before, rank=source.rank, time_field=source.time_field)
        return source.rows(user, account.pk).filter(after).order_by(f"-{source.time_field}", "-id")

    if len(sources) == 1:
        entries = _entries(sources[0], following(sources[0])[: limit + 1])
        more = len(entries) > limit
        entries = entries[:limit]
    else:
        branches = [(source, following(source).values_list(source.time_field, "pk")[: limit + 1]) for source in sources]
        sql, params = _keys_sql(branches, limit=limit + 1)
        with connections[branches[0][1].db].cursor() as cursor:
            cursor.execute(sql, params)
            keys = cursor.fetchall()
        # The page's rows, read in full only now: one query per kind on the page, without the row past it.
        wanted: dict[int, list[int]] = {}
        for rank, _at, pk in keys[:limit]:
            wanted.setdefault(rank, []).append(pk)
        by_rank = {source.rank: source for source in sources}
        entries = []
        for rank, ids in wanted.items():
            source = by_rank[rank]
            entries += _entries(source, source.rows(user, account.pk).filter(pk__in=ids))
        entries.sort(key=lambda entry: entry.cursor, reverse=True)
        # The row past the page only says that there is more; the cursor is the page's last entry's.
        more = len(keys) > limit
    return TimelinePage(entries=entries, next_cursor=entries[-1].cursor.encode() if more and entries else None)


# --- the account's own kinds: its changes (and those of its relationship items), its orders -------------------


def _changes(user: Any, account_id: int) -> QuerySet[Any]:
    from carefront.core.models import Event

    # Relationship items (engagements, commitments, check-ins…) record their changes on the account too.
    return Event.objects.filter(subject_kind=Event.SubjectKind.ACCOUNT, subject_id=account_id).select_related("actor")


def _describe_change(event: Any) -> TimelineSummary:
    from carefront.web.templatetags.carefront_audit import audit_action, audit_field

    title = audit_action(event.action)
    if event.field:
        title = _("{action}: {field}").format(action=title, field=audit_field(event.field))
    return TimelineSummary(title=str(title), summary=event.reason, links={"event_id": event.pk})


def _orders(user: Any, account_id: int) -> QuerySet[Any]:
    from carefront.accounts.access import orders_visible_to

    return orders_visible_to(user).filter(account_id=account_id)


def _describe_order(order: Any) -> TimelineSummary:
    return TimelineSummary(
        title=_("Order {external_id}").format(external_id=order.external_id),
        summary=f"{order.amount} {order.currency}",
        links={"order_id": order.pk},
    )


def register() -> None:
    """The accounts app's kinds; ranks 0 (changes) and 4 (orders)."""
    timeline_source_register(
        TimelineSource(
            key="change",
            label=gettext_lazy("Account changes"),
            rank=0,
            rows=_changes,
            time_field="occurred_at",
            template="web/timeline/change.html",
            describe=_describe_change,
        )
    )
    timeline_source_register(
        TimelineSource(
            key="order",
            label=gettext_lazy("Orders"),
            rank=4,
            rows=_orders,
            time_field="placed_at",
            template="web/timeline/order.html",
            describe=_describe_order,
            portal=True,
        )
    )
