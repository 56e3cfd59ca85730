"""CSV import and export of tickets (`carefront import|export tickets`).

New tickets take their numbers from the ticket counter and get one first message from the
requester (the description, or the subject when there is none); existing tickets change under
the same rules as `ticket_update` (a closed ticket does not change, a ticket never goes back to
new), each change audited. Imports send no notifications: they record history, not new work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carefront.accounts.models import Account, Channel, Contact
from carefront.core.csvio import (
    BatchImport,
    ChangeSet,
    Cleaners,
    Column,
    CsvKind,
    CsvRow,
    ImportCounts,
    RowErrors,
    StaffDirectory,
    csv_kind_register,
    datetime_cell,
    external_id_clean,
    id_reference,
    list_cell,
    list_parse,
    reference_cell,
    rows_by_reference,
    tags_of,
    tags_replace,
    unknown_id_error,
)
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Tag, Team
from carefront.core.services import (
    Actor,
    counter_reserve,
    tag_names_normalise,
)
from carefront.core.validation import clean_choice, clean_datetime, clean_text
from carefront.desk.models import Message, Priority, Status, Ticket, Tier, Visibility
from carefront.desk.services import (
    MAX_BODY_CHARS,
    TICKET_NUMBER_COUNTER,
    _refuse_if_closed,
    _status_apply,
    assignee_validate,
    body_html_sanitise,
)

EXPORT_CHUNK = 2000
SOLVED_STATUSES = (Status.SOLVED, Status.CLOSED)

TICKET_COLUMNS = (
    Column("external_id", gettext_lazy("your id for the ticket; matches an existing ticket to update"), True),
    Column("subject", gettext_lazy("required for a new ticket")),
    Column("status", gettext_lazy("new, open, pending, on_hold, solved or closed")),
    Column("priority", gettext_lazy("low, normal, high or urgent (default normal)")),
    Column("tier", gettext_lazy("0 to 3 (or L0 to L3; default 1)")),
    Column("channel", gettext_lazy("email, portal, chat, phone, social or api (default email); new tickets only")),
    Column("account", gettext_lazy("external id of the account (default: the requester's); new tickets only")),
    Column("requester", gettext_lazy("the contact's external id, or their email within the account; new tickets only")),
    Column("assignee", gettext_lazy("a staff member's username or email")),
    Column("team", gettext_lazy("a team's name")),
    Column("tags", gettext_lazy("tags separated by ;")),
    Column("created_at", gettext_lazy("ISO 8601 time (default now); new tickets only")),
    Column("first_responded_at", gettext_lazy("ISO 8601 time; empty keeps the current value")),
    Column("solved_at", gettext_lazy("ISO 8601 time of a solved or closed ticket (default: when imported)")),
    Column("description", gettext_lazy("the requester's first message (default: the subject); new tickets only")),
)


def _tier_clean(value: str) -> int:
    text = value.strip().upper().removeprefix("L")
    if text.isdigit() and int(text) in Tier.values:
        return int(text)
    return int(clean_choice(value, choices=Tier.values, field="tier"))


TICKET_CLEANERS: Cleaners = {
    "external_id": external_id_clean,
    "subject": lambda v: clean_text(v, field="subject", max_length=250, required=True),
    "status": lambda v: clean_choice(v.lower(), choices=Status.values, field="status"),
    "priority": lambda v: clean_choice(v.lower(), choices=Priority.values, field="priority"),
    "tier": _tier_clean,
    "channel": lambda v: clean_choice(v.lower(), choices=Channel.values, field="channel"),
    "account": external_id_clean,
    "tags": lambda v: tag_names_normalise(list_parse(v)),
    "created_at": lambda v: clean_datetime(v, field="created_at"),
    "first_responded_at": lambda v: clean_datetime(v, field="first_responded_at"),
    "solved_at": lambda v: clean_datetime(v, field="solved_at"),
    "description": lambda v: clean_text(v, field="description", max_length=MAX_BODY_CHARS),
}


def _creation_only(column: str) -> ApplicationError:
    return ApplicationError(_("This can only be set when the ticket is created."), field=column)


class _TicketsImport(BatchImport):
    """One tickets import: its options, the staff and teams it may name, what it has seen, its counts."""

    cleaners = TICKET_CLEANERS

    def __init__(self, *, columns: frozenset[str], actor: Actor, errors: RowErrors | None) -> None:
        super().__init__(columns=columns, actor=actor, errors=errors)
        self.staff = StaffDirectory() if "assignee" in columns else None
        self.teams = {team.name.lower(): team for team in Team.objects.all()} if "team" in columns else {}

    def _requesters(
        self, cleaned: list[tuple[CsvRow, str, dict[str, Any]]]
    ) -> tuple[dict[str, Contact], dict[str, list[Contact]]]:
        references = {v["requester"] for _, _, v in cleaned if v.get("requester")}
        contacts = Contact.objects.only("id", "external_id", "email", "account_id")
        by_reference = rows_by_reference(contacts, references)
        by_email: dict[str, list[Contact]] = {}
        emails = {r.lower() for r in references if "@" in r}
        for contact in contacts.filter(email__in=emails) if emails else ():
            by_email.setdefault(contact.email, []).append(contact)
        return by_reference, by_email

    def batch(self, cleaned: list[tuple[CsvRow, str, dict[str, Any]]]) -> None:
        existing = rows_by_reference(
            Ticket.objects.select_for_update(of=("self",)).select_related("assignee", "team"),
            (r for _, r, _ in cleaned),
        )
        old_tags = tags_of(Ticket.tags.through, "ticket", (t.pk for t in existing.values()))
        accounts = rows_by_reference(
            Account.objects.only("id", "external_id"), {v["account"] for _, _, v in cleaned if v.get("account")}
        )
        by_reference, by_email = self._requesters(cleaned)
        created: list[tuple[Ticket, list[str], str]] = []
        updated: list[tuple[Ticket, ChangeSet, list[str]]] = []
        for row, reference, values in cleaned:
            ticket = existing.get(reference)
            try:
                account_id = self._account_id(values, accounts)
                requester = self._requester(values, account_id, by_reference, by_email)
                if ticket is None:
                    created.append(self._new(reference, values, account_id, requester))
                    continue
                changes, tags = self._changed(ticket, values, account_id, requester, old_tags.get(ticket.pk, []))
            except ApplicationError as exc:
                self.errors.add_exception(row.number, exc)
                continue
            if changes:
                updated.append((ticket, changes, tags))
            else:
                self.counts.unchanged += 1
        if self.errors:
            return
        self._write(created, updated)

    def _account_id(self, values: dict[str, Any], accounts: dict[str, Account]) -> int | None:
        reference = values.get("account")
        if reference is None:
            return None
        account = accounts.get(reference)
        if account is None:
            raise ApplicationError(
                _("No account has the external id “{reference}”.").format(reference=reference[:100]), field="account"
            )
        return account.pk

    def _requester(
        self,
        values: dict[str, Any],
        account_id: int | None,
        by_reference: dict[str, Contact],
        by_email: dict[str, list[Contact]],
    ) -> Contact | None:
        reference = values.get("requester")
        if reference is None:
            return None
        contact = by_reference.get(reference)
        if contact is None:
            matches = by_email.get(reference.lower(), [])
            if account_id is not None:
                matches = [c for c in matches if c.account_id == account_id]
            if len(matches) > 1:
                raise ApplicationError(
                    _("Several contacts have the email {email}; name the account in the account column.").format(
                        email=reference[:100]
                    ),
                    field="requester",
                )
            if not matches:
                raise ApplicationError(
                    _("No contact has the external id or email “{reference}”.").format(reference=reference[:100]),
                    field="requester",
                )
            contact = matches[0]
        if account_id is not None and contact.account_id != account_id:
            raise ApplicationError(_("The requester is not a contact of this account."), field="requester")
        return contact

    def _people(self, values: dict[str, Any], ticket: Ticket | None) -> tuple[Any, Team | None]:
        assignee = ticket.assignee if ticket is not None else None
        if "assignee" in self.columns and self.staff is not None:
            reference = values.get("assignee")
            assignee = self.staff.get(reference, column="assignee") if reference else None
            assignee_validate(assignee)
        team = ticket.team if ticket is not None else None
        if "team" in self.columns:
            name = values.get("team")
            team = self.teams.get(name.lower()) if name else None
            if name and team is None:
                raise ApplicationError(_("No team is named “{team}”.").format(team=name[:100]), field="team")
        return assignee, team

    @staticmethod
    def _times_check(ticket: Ticket) -> None:
        if ticket.solved_at is not None and ticket.status not in SOLVED_STATUSES:
            raise ApplicationError(_("Only a solved or closed ticket has a solved time."), field="solved_at")
        for field in ("first_responded_at", "solved_at"):
            value: datetime | None = getattr(ticket, field)
            if value is not None and value < ticket.created_at:
                raise ApplicationError(_("This is earlier than the ticket's created_at."), field=field)

    def _new(
        self, reference: str, values: dict[str, Any], account_id: int | None, requester: Contact | None
    ) -> tuple[Ticket, list[str], str]:
        if id_reference(reference) is not None:
            raise unknown_id_error()
        for column in ("subject", "requester"):
            if values.get(column) is None:
                raise ApplicationError(_("This field is required."), field=column)
        assert requester is not None
        assignee, team = self._people(values, None)
        status = values.get("status") or (Status.OPEN if assignee is not None else Status.NEW)
        created_at = values.get("created_at") or self.now
        solved_at = values.get("solved_at")
        if status in SOLVED_STATUSES and solved_at is None:
            solved_at = self.now
        ticket = Ticket(
            subject=values["subject"],
            status=status,
            priority=values.get("priority") or Priority.NORMAL,
            tier=values["tier"] if values.get("tier") is not None else Tier.L1,
            channel=values.get("channel") or Channel.EMAIL,
            account_id=requester.account_id,
            requester=requester,
            assignee=assignee,
            team=team,
            external_id=reference,
            first_responded_at=values.get("first_responded_at"),
            solved_at=solved_at,
            # Imported closed tickets have no separate close time; they closed no earlier than solved.
            closed_at=solved_at if status == Status.CLOSED else None,
            created_at=created_at,
            updated_at=self.now,
        )
        self._times_check(ticket)
        return ticket, values.get("tags") or [], values.get("description") or ticket.subject

    def _changed(
        self,
        ticket: Ticket,
        values: dict[str, Any],
        account_id: int | None,
        requester: Contact | None,
        old_tags: list[str],
    ) -> tuple[ChangeSet, list[str]]:
        if account_id is not None and account_id != ticket.account_id:
            raise _creation_only("account")
        if requester is not None and requester.pk != ticket.requester_id:
            raise _creation_only("requester")
        for field in ("channel", "created_at"):
            if values.get(field) is not None and values[field] != getattr(ticket, field):
                raise _creation_only(field)
        was_closed = ticket.status == Status.CLOSED
        changes = ChangeSet()
        for field in ("subject", "priority", "tier"):
            if values.get(field) is not None:
                changes.record(field, getattr(ticket, field), values[field])
                setattr(ticket, field, values[field])
        assignee, team = self._people(values, ticket)
        if team != ticket.team:
            changes.record("team", ticket.team.name if ticket.team else None, team.name if team else None)
            ticket.team = team
        if assignee != ticket.assignee:
            old = ticket.assignee.get_username() if ticket.assignee else None
            changes.record("assignee", old, assignee.get_username() if assignee else None)
            ticket.assignee = assignee
            if ticket.status == Status.NEW and assignee is not None and values.get("status") is None:
                for change in _status_apply(ticket, Status.OPEN, self.now):
                    changes.record(change.field, change.old, change.new)
        if not was_closed and values.get("status") is not None:
            old_solved = ticket.solved_at
            for change in _status_apply(ticket, values["status"], self.now):
                changes.record(change.field, change.old, change.new)
            if ticket.solved_at != old_solved:
                changes.record("solved_at", datetime_cell(old_solved), datetime_cell(ticket.solved_at))
        elif values.get("status") is not None and values["status"] != ticket.status:
            changes.record("status", ticket.status, values["status"])
        for field in ("first_responded_at", "solved_at"):
            if values.get(field) is not None and values[field] != getattr(ticket, field):
                changes.record(field, datetime_cell(getattr(ticket, field)), datetime_cell(values[field]))
                setattr(ticket, field, values[field])
        tags = old_tags
        if "tags" in self.columns:
            tags = values.get("tags") or []
            changes.record("tags", old_tags, tags)
        if was_closed and changes:
            _refuse_if_closed(ticket)
        self._times_check(ticket)
        return changes, tags

    def _write(
        self, created: list[tuple[Ticket, list[str], str]], updated: list[tuple[Ticket, ChangeSet, list[str]]]
    ) -> None:
        events: list[Event] = []
        if created:
            first = counter_reserve(name=TICKET_NUMBER_COUNTER, count=len(created))
            for offset, (ticket, _, _) in enumerate(created):
                ticket.number = first + offset
            Ticket.objects.bulk_create([ticket for ticket, _, _ in created])
            tags_replace(Ticket.tags.through, "ticket", {t.pk: tags for t, tags, _ in created if tags})
            Message.objects.bulk_create(
                [
                    Message(
                        ticket_id=ticket.pk,
                        account_id=ticket.account_id,
                        visibility=Visibility.PUBLIC,
                        author_contact_id=ticket.requester_id,
                        channel=ticket.channel,
                        body_text=body,
                        body_html=body_html_sanitise(body_text=body, body_html=None),
                        created_at=ticket.created_at,
                    )
                    for ticket, _, body in created
                ]
            )
            for ticket, _, _ in created:
                events += self.events("ticket", ticket.pk, "imported", account_id=ticket.account_id)
            self.counts.created += len(created)
        if updated:
            fields: set[str] = set()
            for ticket, changes, _ in updated:
                ticket.version += 1
                ticket.updated_at = self.now
                fields |= changes.fields() - {"tags"}
                if "status" in changes.changes:
                    fields |= {"solved_at", "closed_at"}
                events += self.events(
                    "ticket", ticket.pk, "updated", changes.changes.values(), account_id=ticket.account_id
                )
            Ticket.objects.bulk_update([t for t, _, _ in updated], sorted(fields | {"version", "updated_at"}))
            tags_replace(
                Ticket.tags.through, "ticket", {t.pk: tags for t, changes, tags in updated if "tags" in changes.changes}
            )
            self.counts.updated += len(updated)
        Event.objects.bulk_create(events)


@transaction.atomic
def tickets_import_rows(
    *, rows: Iterable[CsvRow], columns: frozenset[str], actor: Actor, errors: RowErrors | None = None
) -> ImportCounts:
    """Create or update tickets from CSV rows, all or nothing; raises CsvImportError listing every problem."""
    return _TicketsImport(columns=columns, actor=actor, errors=errors).run(rows)


def _requester_cell(contact: Contact) -> str:
    if contact.external_id and id_reference(contact.external_id) is None:
        return contact.external_id
    return contact.email or reference_cell(contact.pk, None)


def tickets_export_rows() -> Iterator[list[str]]:
    """Every ticket as CSV cells in TICKET_COLUMNS order, by id, a chunk at a time.

    The description stays empty: it only seeds a new ticket's first message, so leaving it out
    keeps a re-import of the export from changing anything.
    """
    tickets = (
        Ticket.objects.select_related("account", "requester", "assignee", "team")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .order_by("id")
    )
    for ticket in tickets.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            reference_cell(ticket.pk, ticket.external_id),
            ticket.subject,
            ticket.status,
            ticket.priority,
            str(ticket.tier),
            ticket.channel,
            reference_cell(ticket.account_id, ticket.account.external_id),
            _requester_cell(ticket.requester),
            ticket.assignee.get_username() if ticket.assignee else "",
            ticket.team.name if ticket.team else "",
            list_cell(sorted(tag.name for tag in ticket.tags.all())),
            datetime_cell(ticket.created_at),
            datetime_cell(ticket.first_responded_at),
            datetime_cell(ticket.solved_at),
            "",
        ]


csv_kind_register(
    CsvKind(
        name="tickets",
        help=gettext_lazy("tickets, one per row; a new ticket's requester must already be a contact"),
        columns=TICKET_COLUMNS,
        import_rows=tickets_import_rows,
        export_rows=tickets_export_rows,
    )
)
