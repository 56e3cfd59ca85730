"""The account timeline over REST: one newest-first stream of the account's tickets, messages, orders, changes and
relationship items, filtered by kind and paginated by cursor.

Staff read every account's timeline (its relationship items as relationships.access lets them); a portal contact
(session or token) reads only their own account's, and only the kinds meant for clients: their tickets, the
public messages, orders, commitments and dependencies. Internal notes, audit changes, interactions, check-ins
and engagements are never queried for them.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from carefront.accounts.access import access_account
from carefront.accounts.selectors_timeline import TimelineCursor, account_timeline, timeline_sources
from carefront.api.common import ERRORS, Id, actor

router = Router(tags=["accounts"])


class TimelineQuery(Schema):
    kind: list[str] | None = Field(
        None, description="Only these kinds (repeat the parameter for several); every kind you may see when absent."
    )
    cursor: str | None = Field(None, max_length=80, description="The `next_cursor` of the previous page.")
    limit: int = Field(30, ge=1, le=100)


class TimelineEntryOut(Schema):
    kind: str = Field(description="The kind's key, as in `GET /accounts/{id}/timeline/kinds`.")
    at: datetime
    title: str
    summary: str
    links: dict[str, int] = Field(description="Ids of what the entry is about: ticket_id, message_id, order_id…")
    cursor: str = Field(description="The entry's position: pass it as `cursor` to read what came before it.")


class TimelineOut(Schema):
    results: list[TimelineEntryOut]
    next_cursor: str | None = Field(description="The cursor of the next (older) page; null on the last page.")


class TimelineKindOut(Schema):
    key: str
    label: str


@router.get(
    "/accounts/{account_id}/timeline",
    response={200: TimelineOut, **ERRORS},
    summary="The account's timeline, newest first",
)
def account_timeline_get(request: HttpRequest, account_id: Id, query: Query[TimelineQuery]) -> Any:
    user = actor(request)
    account = access_account(user=user, account_id=account_id)
    known = {source.key for source in timeline_sources(user=user)}
    unknown = sorted(set(query.kind or ()) - known)
    if unknown:
        message = _("Unknown kind {kinds}: choose among {known}.").format(
            kinds=", ".join(unknown), known=", ".join(sorted(known))
        )
        raise ValidationError([{"loc": ["query", "kind"], "msg": message}])
    before = TimelineCursor.decode(query.cursor)
    if query.cursor and before is None:
        raise ValidationError([{"loc": ["query", "cursor"], "msg": "Invalid cursor"}])
    page = account_timeline(user=user, account=account, kinds=query.kind, before=before, limit=query.limit)
    results = []
    for entry in page.entries:
        summary = entry.describe()
        results.append(
            {
                "kind": entry.kind,
                "at": entry.at,
                "title": summary.title,
                "summary": summary.summary,
                "links": summary.links,
                "cursor": entry.cursor.encode(),
            }
        )
    return {"results": results, "next_cursor": page.next_cursor}


@router.get(
    "/accounts/{account_id}/timeline/kinds",
    response={200: list[TimelineKindOut], **ERRORS},
    summary="The kinds of timeline entries you may filter by",
)
def account_timeline_kinds(request: HttpRequest, account_id: Id) -> Any:
    user = actor(request)
    access_account(user=user, account_id=account_id)
    return [{"key": source.key, "label": str(source.label)} for source in timeline_sources(user=user)]
