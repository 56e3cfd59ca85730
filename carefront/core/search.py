"""Global search: tickets (number, subject, message text), accounts (name, external id) and contacts (name,
e-mail, phone), grouped by kind, through the full-text index of `carefront.core.search_index`.

One selector, `search()`, for both databases. What the user typed never reaches the query language: it is cut
into words (letters and digits), each word is quoted, and the last one is matched as a prefix. Every word must
match (AND). Message text is matched on whole words only: a prefix over millions of messages costs too much.

Ranking reads at most `POOL` of the newest matches per source and orders them by relevance (bm25 on SQLite,
ts_rank on PostgreSQL), so a search costs the same whether a word appears in ten messages or in a million.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import BigIntegerField, F, FloatField, IntegerField, QuerySet, Value
from django.db.models.functions import Cast

from carefront.accounts.access import accounts_visible_to, contacts_visible_to
from carefront.accounts.models import Account, Contact
from carefront.core.access import is_staff_member, portal_account_id
from carefront.core.search_index import (
    ACCOUNTS,
    CONTACT_TRIGRAMS,
    CONTACTS,
    MESSAGES,
    PG_CONFIG,
    TICKETS,
    MessageSearchVector,
    account_vector,
    contact_vector,
    ticket_vector,
)
from carefront.desk.access import tickets_visible_to
from carefront.desk.models import Message, Ticket, Visibility

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_TERM_CHARS = 64
# A one-letter prefix would expand to a large part of the vocabulary.
MIN_PREFIX_CHARS = 2
MIN_QUERY_CHARS = 2
# Substring (trigram) matching needs at least three characters, on both databases.
MIN_SUBSTRING_CHARS = 3
MIN_PHONE_DIGITS = 4
POOL = 100
SNIPPET_CHARS = 180
DEFAULT_LIMIT = 20

_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"#?\s*(\d{1,18})")
_PHONE = re.compile(r"[\d\s()+./-]+")

# Where a hit was found; lower sorts first.
NUMBER, SUBJECT, BODY = 0, 1, 2
NAME, EMAIL, PHONE = 1, 2, 3


@dataclass(frozen=True)
class ParsedQuery:
    """What a query means: its words, and a ticket number, an e-mail fragment or phone digits it may be."""

    text: str
    terms: tuple[str, ...]
    number: int | None
    substring: str | None
    phone_digits: str | None

    @property
    def too_short(self) -> bool:
        return self.number is None and sum(len(term) for term in self.terms) < MIN_QUERY_CHARS

    def fts5(self, *, prefix: bool = True) -> str:
        """An FTS5 query: each word quoted (no operator or syntax survives), the last one a prefix."""
        quoted = [f'"{term}"' for term in self.terms]
        if prefix and quoted and len(self.terms[-1]) >= MIN_PREFIX_CHARS:
            quoted[-1] += "*"
        return " ".join(quoted)

    def tsquery(self, *, prefix: bool = True) -> str:
        """A to_tsquery() string built the same way; the words hold only letters and digits."""
        quoted = [f"'{term}'" for term in self.terms]
        if prefix and quoted and len(self.terms[-1]) >= MIN_PREFIX_CHARS:
            quoted[-1] += ":*"
        return " & ".join(quoted)


def query_parse(text: str) -> ParsedQuery:
    # Control characters (NUL among them, which PostgreSQL refuses in text) separate words like spaces do.
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in unicodedata.normalize("NFC", text or ""))
    text = text.strip()[:MAX_QUERY_CHARS]
    terms = tuple(term[:MAX_TERM_CHARS].lower() for term in _WORD.findall(text))[:MAX_TERMS]
    number_match = _NUMBER.fullmatch(text)
    number = int(number_match.group(1)) if number_match else None
    substring = text.lower() if len(text) >= MIN_SUBSTRING_CHARS and not any(c.isspace() for c in text) else None
    phone_digits = None
    if _PHONE.fullmatch(text):
        # National formats start with a trunk 0 and international ones with 00: E.164 keeps neither.
        digits = re.sub(r"\D", "", text).lstrip("0")
        phone_digits = digits if len(digits) >= MIN_PHONE_DIGITS else None
    return ParsedQuery(text=text, terms=terms, number=number, substring=substring, phone_digits=phone_digits)


# --- Results ---------------------------------------------------------------------------------------------------

Segment = tuple[str, bool]


@dataclass(frozen=True)
class TicketHit:
    ticket: Ticket
    found_in: int
    subject: list[Segment]
    snippet: list[Segment] = field(default_factory=list)
    snippet_internal: bool = False

    @property
    def by_number(self) -> bool:
        return self.found_in == NUMBER


@dataclass(frozen=True)
class AccountHit:
    account: Account
    name: list[Segment]


@dataclass(frozen=True)
class ContactHit:
    contact: Contact
    found_in: int
    name: list[Segment]


H = TypeVar("H")


@dataclass(frozen=True)
class SearchGroup(Generic[H]):
    """The hits of one kind, best first; `has_more` when there were more than were returned."""

    hits: list[H]
    has_more: bool = False

    @property
    def count(self) -> int:
        return len(self.hits)

    @property
    def count_label(self) -> str:
        return f"{self.count}+" if self.has_more else str(self.count)


@dataclass(frozen=True)
class SearchResults:
    query: ParsedQuery
    tickets: SearchGroup[TicketHit]
    accounts: SearchGroup[AccountHit]
    contacts: SearchGroup[ContactHit]

    @property
    def too_short(self) -> bool:
        return self.query.too_short

    @property
    def total(self) -> int:
        return self.tickets.count + self.accounts.count + self.contacts.count

    @property
    def has_more(self) -> bool:
        return self.tickets.has_more or self.accounts.has_more or self.contacts.has_more


@dataclass(frozen=True)
class Candidate:
    """One match from the index: the row's id, how relevant (higher is better), where, and which message."""

    id: int
    score: float
    source: int
    message_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """Whose rows: None = everything (staff); otherwise one account's, with public messages only."""

    account_id: int | None


# --- Candidates: SQLite (FTS5) -----------------------------------------------------------------------------------


Part = tuple[str, list[Any]]


def _sqlite_candidates(parts: list[Part]) -> list[Candidate]:
    if not parts:
        return []
    sql = " UNION ALL ".join(statement for statement, _params in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _statement, params in parts for param in params])
        rows = cursor.fetchall()
    return [Candidate(id=row[0], score=float(row[1]), source=row[2], message_id=row[3]) for row in rows]


def _fts(
    table: str, *, select: str, match: str, where: str = "", where_params: Sequence[Any] = (), join: str = ""
) -> Part:
    """The newest POOL matches of one FTS table; `select` returns (id, score, source, message id)."""
    # FTS5 walks its index in rowid order, so ORDER BY rowid DESC LIMIT stops after POOL matches: no sort.
    sql = (
        f'SELECT * FROM (SELECT {select} FROM "{table}" {join} '  # noqa: S608 (names are this module's constants)
        f'WHERE "{table}" MATCH %s {where} ORDER BY "{table}".rowid DESC LIMIT %s)'
    )
    return sql, [match, *where_params, POOL]


def _own(column: str, scope: Scope, table: str = "desk_ticket") -> tuple[str, list[Any]]:
    """A condition keeping the ids (in `column`) of one account's rows of `table`; nothing for staff."""
    if scope.account_id is None:
        return "", []
    if table == "accounts_account":
        return f"AND {column} = %s", [scope.account_id]
    return f"AND {column} IN (SELECT id FROM {table} WHERE account_id = %s)", [scope.account_id]  # noqa: S608


def _sqlite_ticket_candidates(query: ParsedQuery, scope: Scope) -> list[Candidate]:
    parts: list[Part] = []
    if query.number is not None:
        where, params = _own("id", scope)
        number = f"SELECT id, 0.0, {NUMBER}, NULL FROM desk_ticket WHERE number = %s {where}"  # noqa: S608
        parts.append((number, [query.number, *params]))
    if query.terms:
        where, params = _own(f'"{TICKETS.name}".rowid', scope)
        select = f'rowid, -bm25("{TICKETS.name}"), {SUBJECT}, NULL'
        parts.append(_fts(TICKETS.name, select=select, match=query.fts5(), where=where, where_params=params))
        where, params = _own("m.ticket_id", scope)
        if scope.account_id is not None:
            where = f"AND m.visibility = '{Visibility.PUBLIC}' {where}"
        parts.append(
            _fts(
                MESSAGES.name,
                select=f'm.ticket_id, -bm25("{MESSAGES.name}"), {BODY}, m.id',
                match=query.fts5(prefix=False),
                where=where,
                where_params=params,
                join=f'JOIN desk_message m ON m.id = "{MESSAGES.name}".rowid',
            )
        )
    return _sqlite_candidates(parts)


def _sqlite_account_candidates(query: ParsedQuery, scope: Scope) -> list[Candidate]:
    if not query.terms:
        return []
    where, params = _own("rowid", scope, table="accounts_account")
    select = f'rowid, -bm25("{ACCOUNTS.name}"), {NAME}, NULL'
    return _sqlite_candidates(
        [_fts(ACCOUNTS.name, select=select, match=query.fts5(), where=where, where_params=params)]
    )


def _trigram_match(column: str, fragment: str) -> str:
    # Inside an FTS5 string a double quote is written twice; nothing else is special there.
    return "{" + column + '} : "' + fragment.replace('"', '""') + '"'


def _sqlite_contact_candidates(query: ParsedQuery, scope: Scope) -> list[Candidate]:
    where, params = _own("rowid", scope, table="accounts_contact")
    searches: list[tuple[str, int, str]] = []
    if query.terms:
        searches.append((CONTACTS.name, NAME, query.fts5()))
    if query.substring is not None:
        searches.append((CONTACT_TRIGRAMS.name, EMAIL, _trigram_match("email", query.substring)))
    if query.phone_digits is not None:
        searches.append((CONTACT_TRIGRAMS.name, PHONE, _trigram_match("phone", query.phone_digits)))
    return _sqlite_candidates(
        [
            _fts(
                table, select=f'rowid, -bm25("{table}"), {source}, NULL', match=match, where=where, where_params=params
            )
            for table, source, match in searches
        ]
    )


# --- Candidates: PostgreSQL (django.contrib.postgres.search) ------------------------------------------------------


def _pool(matches: QuerySet[Any]) -> QuerySet[Any]:
    # Ids first, newest POOL of them; the rank is then computed for those rows only.
    return matches.order_by("-id").values("id")[:POOL]


def _ranked(
    model: Any, pool: QuerySet[Any], rank: Any, source: int, id_field: str = "id", message: bool = False
) -> QuerySet[Any]:
    return (
        model.objects.filter(id__in=pool)
        .annotate(
            hit_id=F(id_field),
            hit_score=rank,
            hit_source=Value(source, output_field=IntegerField()),
            hit_message=F("id") if message else Cast(Value(None), BigIntegerField()),
        )
        .values_list("hit_id", "hit_score", "hit_source", "hit_message")
        .order_by()
    )


def _pg_union(querysets: list[QuerySet[Any]]) -> list[Candidate]:
    if not querysets:
        return []
    first, *rest = querysets
    rows = first.union(*rest, all=True) if rest else first
    return [Candidate(id=row[0], score=float(row[1]), source=row[2], message_id=row[3]) for row in rows]


def _pg_ticket_candidates(query: ParsedQuery, scope: Scope) -> list[Candidate]:
    parts: list[QuerySet[Any]] = []
    if query.number is not None:
        numbered = Ticket.objects.filter(number=query.number)
        if scope.account_id is not None:
            numbered = numbered.filter(account_id=scope.account_id)
        parts.append(_ranked(Ticket, numbered.values("id"), Value(0.0, output_field=FloatField()), NUMBER))
    if query.terms:
        subject_query = SearchQuery(query.tsquery(), search_type="raw", config=PG_CONFIG)
        subjects = Ticket.objects.annotate(search=ticket_vector()).filter(search=subject_query)
        body_query = SearchQuery(query.tsquery(prefix=False), search_type="raw", config=PG_CONFIG)
        bodies = Message.objects.annotate(search=MessageSearchVector()).filter(search=body_query)
        if scope.account_id is not None:
            subjects = subjects.filter(account_id=scope.account_id)
            bodies = bodies.filter(account_id=scope.account_id, visibility=Visibility.PUBLIC)
        parts.append(_ranked(Ticket, _pool(subjects), SearchRank(ticket_vector(), subject_query), SUBJECT))
        parts.append(
            _ranked(
                Message,
                _pool(bodies),
                SearchRank(MessageSearchVector(), body_query),
                BODY,
                id_field="ticket_id",
                message=True,
            )
        )
    return _pg_union(parts)


def _pg_account_candidates(query: ParsedQuery, scope: Scope) -> list[Candidate]:
    if not query.terms:
        return []
    search_query = SearchQuery(query.tsquery(), search_type="raw", config=PG_CONFIG)
    matches = Account.objects.annotate(search=account_vector()).filter(search=search_query)
    if scope.account_id is not None:
        matches = matches.filter(id=scope.account_id)
    return _pg_union([_ranked(Account, _pool(matches), SearchRank(account_vector(), search_query), NAME)])


def _pg_contact_candidates(query: ParsedQuery, scope: Scope) -> list[Candidate]:
    contacts = Contact.objects.all()
    if scope.account_id is not None:
        contacts = contacts.filter(account_id=scope.account_id)
    parts: list[QuerySet[Any]] = []
    if query.terms:
        search_query = SearchQuery(query.tsquery(), search_type="raw", config=PG_CONFIG)
        matches = contacts.annotate(search=contact_vector()).filter(search=search_query)
        parts.append(_ranked(Contact, _pool(matches), SearchRank(contact_vector(), search_query), NAME))
    # Trigram indexes serve these LIKE patterns; the score only breaks ties among substring hits.
    no_score = Value(0.0, output_field=FloatField())
    if query.substring is not None:
        parts.append(_ranked(Contact, _pool(contacts.filter(email__icontains=query.substring)), no_score, EMAIL))
    if query.phone_digits is not None:
        parts.append(_ranked(Contact, _pool(contacts.filter(phone__contains=query.phone_digits)), no_score, PHONE))
    return _pg_union(parts)


# --- Putting it together -------------------------------------------------------------------------------------------


def _best(candidates: Iterable[Candidate]) -> tuple[list[Candidate], bool]:
    """One candidate per row (where it matched best), best first; and whether a source filled its pool."""
    best: dict[int, Candidate] = {}
    per_source: dict[int, int] = {}
    for candidate in candidates:
        per_source[candidate.source] = per_source.get(candidate.source, 0) + 1
        current = best.get(candidate.id)
        if current is None or (candidate.source, -candidate.score) < (current.source, -current.score):
            best[candidate.id] = candidate
    ordered = sorted(best.values(), key=lambda c: (c.source, -c.score, -c.id))
    return ordered, any(count >= POOL for count in per_source.values())


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def highlight(text: str, terms: Sequence[str], *, prefix: bool = True) -> list[Segment]:
    """`text` cut into (piece, matched) segments: the words the query matched, the way the index matched them."""
    if not text:
        return []
    folded = [_fold(term) for term in terms]
    last = folded[-1] if folded and prefix and len(folded[-1]) >= MIN_PREFIX_CHARS else None
    segments: list[Segment] = []
    position = 0
    for match in _WORD.finditer(text):
        word = _fold(match.group())
        if word in folded or (last is not None and word.startswith(last)):
            if match.start() > position:
                segments.append((text[position : match.start()], False))
            segments.append((match.group(), True))
            position = match.end()
    if position < len(text):
        segments.append((text[position:], False))
    return segments


def snippet(text: str, terms: Sequence[str]) -> list[Segment]:
    """About SNIPPET_CHARS of `text` around the first matched word, with the matches marked."""
    flat = " ".join(text.split())
    segments = highlight(flat, terms, prefix=False)
    start = 0
    offset = 0
    for piece, matched in segments:
        if matched:
            start = max(0, offset - SNIPPET_CHARS // 3)
            break
        offset += len(piece)
    window_end = start + SNIPPET_CHARS
    clipped: list[Segment] = [("…", False)] if start > 0 else []
    offset = 0
    for piece, matched in segments:
        piece_end = offset + len(piece)
        if piece_end > start and offset < window_end:
            if matched:
                clipped.append((piece, True))
            else:
                clipped.append((piece[max(0, start - offset) : window_end - offset], False))
        offset = piece_end
    if window_end < len(flat):
        clipped.append(("…", False))
    return clipped


def _scope_for(user: Any) -> Scope | None:
    if is_staff_member(user):
        return Scope(account_id=None)
    account_id = portal_account_id(user)
    return Scope(account_id=account_id) if account_id is not None else None


def _empty(query: ParsedQuery) -> SearchResults:
    return SearchResults(query=query, tickets=SearchGroup([]), accounts=SearchGroup([]), contacts=SearchGroup([]))


def search(*, user: Any, query: str, limit_per_kind: int = DEFAULT_LIMIT) -> SearchResults:
    """Tickets, accounts and contacts matching `query` that `user` may see, best first, at most
    `limit_per_kind` of each; a portal contact only ever gets their own account's rows and public messages.

    A constant number of queries: one per kind to find the hits, one per kind to load them, one for snippets.
    """
    parsed = query_parse(query)
    scope = _scope_for(user)
    if scope is None or parsed.too_short or connection.vendor not in {"sqlite", "postgresql"}:
        return _empty(parsed)
    sqlite = connection.vendor == "sqlite"

    ticket_candidates, tickets_full = _best(
        (_sqlite_ticket_candidates if sqlite else _pg_ticket_candidates)(parsed, scope)
    )
    account_candidates, accounts_full = _best(
        (_sqlite_account_candidates if sqlite else _pg_account_candidates)(parsed, scope)
    )
    contact_candidates, contacts_full = _best(
        (_sqlite_contact_candidates if sqlite else _pg_contact_candidates)(parsed, scope)
    )

    shown_tickets = ticket_candidates[:limit_per_kind]
    tickets = tickets_visible_to(user).select_related("account", "account__owner", "requester", "assignee")
    ticket_rows = tickets.in_bulk([c.id for c in shown_tickets])
    message_ids = [c.message_id for c in shown_tickets if c.source == BODY and c.message_id is not None]
    bodies: dict[int, tuple[str, str]] = {}
    if message_ids:
        messages = Message.objects.filter(id__in=message_ids, ticket_id__in=list(ticket_rows))
        if scope.account_id is not None:
            messages = messages.filter(visibility=Visibility.PUBLIC)
        bodies = {
            pk: (text, visibility) for pk, text, visibility in messages.values_list("id", "body_text", "visibility")
        }
    ticket_hits = [
        TicketHit(
            ticket=ticket_rows[c.id],
            found_in=c.source,
            subject=highlight(ticket_rows[c.id].subject, parsed.terms),
            snippet=snippet(bodies[c.message_id][0], parsed.terms) if c.message_id in bodies else [],
            snippet_internal=c.message_id in bodies and bodies[c.message_id][1] == Visibility.INTERNAL,
        )
        for c in shown_tickets
        if c.id in ticket_rows
    ]

    shown_accounts = account_candidates[:limit_per_kind]
    account_rows = accounts_visible_to(user).select_related("owner").in_bulk([c.id for c in shown_accounts])
    account_hits = [
        AccountHit(account=account_rows[c.id], name=highlight(account_rows[c.id].name, parsed.terms))
        for c in shown_accounts
        if c.id in account_rows
    ]

    shown_contacts = contact_candidates[:limit_per_kind]
    contact_rows = (
        contacts_visible_to(user).select_related("account", "account__owner").in_bulk([c.id for c in shown_contacts])
    )
    contact_hits = [
        ContactHit(contact=contact_rows[c.id], found_in=c.source, name=highlight(contact_rows[c.id].name, parsed.terms))
        for c in shown_contacts
        if c.id in contact_rows
    ]

    return SearchResults(
        query=parsed,
        tickets=SearchGroup(ticket_hits, tickets_full or len(ticket_candidates) > limit_per_kind),
        accounts=SearchGroup(account_hits, accounts_full or len(account_candidates) > limit_per_kind),
        contacts=SearchGroup(contact_hits, contacts_full or len(contact_candidates) > limit_per_kind),
    )
