"""Every write to incidents and the accounts they touched. Managers and admins record and manage them.

What happens to an affected account is an event on that account's history (subject `account`, field `incident`,
from/to values with the incident's id and title): `incident_linked`, `incident_drafted`, `incident_disclosed`,
`incident_remedied`, and `incident_updated` / `incident_resolved` on every affected account. Many accounts are linked
or drafted at once in a constant number of queries: the events are built and bulk-created together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from carefront.accounts.models import Account, Contact
from carefront.core.access import require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.core.selectors import supported_language
from carefront.core.services import Actor, Change, events_build
from carefront.core.validation import clean_choice, clean_datetime, clean_text, version_check
from carefront.relationships.disclosure import (
    DEFAULT_TEMPLATE,
    DisclosureContext,
    DisclosureTemplateError,
    disclosure_render,
    disclosure_template_clean,
)
from carefront.relationships.models import (
    AffectedAccount,
    DisclosureChannel,
    DisclosureState,
    Incident,
    IncidentSeverity,
    IncidentStatus,
)
from carefront.relationships.services import MAX_TEXT, MAX_TITLE, _owner_clean

MAX_ACCOUNTS = 500


def _label(incident: Incident) -> dict[str, Any]:
    return {"id": incident.pk, "title": incident.title}


def _events(
    incident: Incident,
    account_ids: Sequence[int],
    *,
    action: str,
    actor: Actor,
    new: dict[str, Any] | None = None,
    old: dict[str, Any] | None = None,
) -> None:
    """One event per affected account, in one INSERT."""
    label = _label(incident)
    change = Change("incident", None if old is None else {**label, **old}, {**label, **(new or {})})
    rows = [
        event
        for account_id in account_ids
        for event in events_build(
            subject_kind="account", subject_id=account_id, action=action, changes=[change], actor=actor
        )
    ]
    Event.objects.bulk_create(rows)


def _template_clean(text: Any) -> str:
    value = clean_text(text, field="disclosure_template", max_length=MAX_TEXT * 2)
    try:
        return disclosure_template_clean(value)
    except DisclosureTemplateError as error:
        raise ApplicationError(str(error), field="disclosure_template") from error


def _times_clean(occurred: datetime, discovered: datetime) -> None:
    if discovered < occurred:
        raise ApplicationError(_("We cannot have found out before it happened."), field="discovered_at")
    if occurred > timezone.now():
        raise ApplicationError(_("An incident cannot happen in the future."), field="occurred_at")


@transaction.atomic
def incident_create(
    *,
    actor: Actor,
    title: str,
    what_happened: str,
    occurred_at: Any,
    discovered_at: Any,
    owner: Any,
    impact: str = "",
    severity: str = IncidentSeverity.MEDIUM,
    disclosure_template: str = "",
) -> Incident:
    """Record a mistake we made (a manager or admin)."""
    require_manager(actor)
    occurred = clean_datetime(occurred_at, field="occurred_at")
    discovered = clean_datetime(discovered_at, field="discovered_at")
    _times_clean(occurred, discovered)
    now = timezone.now()
    return Incident.objects.create(
        title=clean_text(title, field="title", max_length=MAX_TITLE, required=True),
        what_happened=clean_text(what_happened, field="what_happened", max_length=MAX_TEXT, required=True),
        occurred_at=occurred,
        discovered_at=discovered,
        impact=clean_text(impact, field="impact", max_length=MAX_TEXT),
        severity=clean_choice(severity, choices=IncidentSeverity.values, field="severity"),
        owner=_owner_clean(owner),
        disclosure_template=_template_clean(disclosure_template),
        created_by=_user(actor),
        created_at=now,
        updated_at=now,
    )


def _affected_ids(incident: Incident) -> list[int]:
    return list(AffectedAccount.objects.filter(incident=incident).values_list("account_id", flat=True))


@transaction.atomic
def incident_update(*, incident: Incident, actor: Actor, version: int | None = None, **changes: Any) -> Incident:
    """Change what we know of an incident, its owner or template, or resolve (and reopen) it."""
    require_manager(actor)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    version_check(incident, version)
    values: dict[str, Any] = {}
    for field, limit, required in (
        ("title", MAX_TITLE, True),
        ("what_happened", MAX_TEXT, True),
        ("impact", MAX_TEXT, False),
    ):
        if field in changes:
            values[field] = clean_text(changes.pop(field), field=field, max_length=limit, required=required)
    for field in ("occurred_at", "discovered_at"):
        if field in changes:
            values[field] = clean_datetime(changes.pop(field), field=field)
    if "severity" in changes:
        values["severity"] = clean_choice(changes.pop("severity"), choices=IncidentSeverity.values, field="severity")
    if "status" in changes:
        values["status"] = clean_choice(changes.pop("status"), choices=IncidentStatus.values, field="status")
    if "owner" in changes:
        values["owner"] = _owner_clean(changes.pop("owner"))
    if "disclosure_template" in changes:
        values["disclosure_template"] = _template_clean(changes.pop("disclosure_template"))
    if changes:
        raise ApplicationError(_("Unknown field."), field=sorted(changes)[0])
    if "occurred_at" in values or "discovered_at" in values:
        _times_clean(
            values.get("occurred_at", incident.occurred_at), values.get("discovered_at", incident.discovered_at)
        )
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for field, value in values.items():
        current = getattr(incident, field)
        if current == value:
            continue
        old[field], new[field] = _audit(current), _audit(value)
        setattr(incident, field, value)
    if not new:
        return incident
    now = timezone.now()
    fields = [*new, "version", "updated_at"]
    if "status" in new:
        incident.resolved_at = now if incident.status == IncidentStatus.RESOLVED else None
        fields.append("resolved_at")
    incident.version += 1
    incident.updated_at = now
    incident.save(update_fields=fields)
    action = "incident_resolved" if new.get("status") == IncidentStatus.RESOLVED else "incident_updated"
    _events(incident, _affected_ids(incident), action=action, actor=actor, old=old, new=new)
    return incident


def _user(actor: Actor) -> Any:
    """The acting staff member (the access check has made sure there is one)."""
    return actor


def _audit(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "get_username"):
        return value.get_username()
    return value


# --- affected accounts ---------------------------------------------------------------------------


@transaction.atomic
def incident_accounts_add(
    *, incident: Incident, actor: Actor, accounts: Sequence[Account], consequence: str = ""
) -> list[AffectedAccount]:
    """Link accounts to an incident, each with what it meant for them; an account already linked is left as it is.
    Returns the new links. A constant number of queries however many accounts."""
    require_manager(actor)
    if not accounts:
        raise ApplicationError(_("Choose at least one account."), field="accounts")
    if len(accounts) > MAX_ACCOUNTS:
        raise ApplicationError(
            _("Link at most {count} accounts at a time.").format(count=MAX_ACCOUNTS), field="accounts"
        )
    meaning = clean_text(consequence, field="consequence", max_length=MAX_TEXT)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    wanted = {account.pk: account for account in accounts}
    linked = set(
        AffectedAccount.objects.filter(incident=incident, account_id__in=wanted).values_list("account_id", flat=True)
    )
    now = timezone.now()
    rows = [
        AffectedAccount(incident=incident, account=account, consequence=meaning, created_at=now, updated_at=now)
        for account_id, account in sorted(wanted.items())
        if account_id not in linked
    ]
    AffectedAccount.objects.bulk_create(rows)
    new = {"severity": incident.severity, "consequence": meaning} if meaning else {"severity": incident.severity}
    _events(incident, [row.account_id for row in rows], action="incident_linked", actor=actor, new=new)
    return rows


def _affected_lock(affected: AffectedAccount) -> AffectedAccount:
    return (
        AffectedAccount.objects.select_for_update(of=("self",))
        .select_related("incident", "account")
        .get(pk=affected.pk)
    )


def _not_told(affected: AffectedAccount) -> None:
    if affected.disclosure_state == DisclosureState.TOLD:
        raise ApplicationError(_("This account was told already."), field="disclosure_state", status=409)


def _record_one(affected: AffectedAccount, *, action: str, actor: Actor, new: dict[str, Any]) -> None:
    _events(affected.incident, [affected.account_id], action=action, actor=actor, new=new)


def _name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _contacts_by_account(account_ids: Sequence[int]) -> dict[int, Contact]:
    """Each account's first contact (the one a disclosure is addressed to), in one query."""
    first: dict[int, Contact] = {}
    for contact in Contact.objects.filter(account_id__in=account_ids).order_by("account_id", "id"):
        first.setdefault(contact.account_id, contact)
    return first


def _language(contact: Contact | None, account: Account) -> str:
    """The contact's language, else the account's locale, else the workspace's."""
    for code in (contact.language if contact is not None else None, account.locale):
        language = supported_language(code)
        if language is not None:
            return language
    return str(settings.LANGUAGE_CODE)


def _draft(affected: AffectedAccount, contact: Contact | None) -> str:
    """The disclosure to one account, in its contact's language and time zone."""
    incident, account = affected.incident, affected.account
    zone = (contact.time_zone if contact is not None else "") or account.time_zone
    with translation.override(_language(contact, account)), timezone.override(zone):
        context = DisclosureContext(
            account_name=account.name,
            contact_name=contact.name if contact is not None else account.name,
            advisor_name=_name(account.owner) or _name(incident.owner),
            incident_title=incident.title,
            incident_what=incident.what_happened,
            incident_impact=incident.impact,
            occurred_at=formats.date_format(timezone.localtime(incident.occurred_at), "DATETIME_FORMAT"),
            consequence=affected.consequence,
        )
        return disclosure_render(incident.disclosure_template or str(DEFAULT_TEMPLATE), context)


@transaction.atomic
def incident_drafts_prepare(*, incident: Incident, actor: Actor) -> int:
    """Write the disclosure draft of every affected account not yet told and without a draft; returns how many.
    Drafts already there (perhaps edited) are kept. Four queries and two writes however many accounts."""
    require_manager(actor)
    rows = list(
        AffectedAccount.objects.select_for_update(of=("self",))
        .filter(incident=incident, disclosure_state=DisclosureState.PENDING)
        .select_related("incident", "incident__owner", "account", "account__owner")
        .order_by("id")
    )
    if not rows:
        return 0
    contacts = _contacts_by_account([row.account_id for row in rows])
    now = timezone.now()
    for row in rows:
        row.draft = _draft(row, contacts.get(row.account_id))
        row.disclosure_state = DisclosureState.DRAFTED
        row.updated_at = now
    AffectedAccount.objects.bulk_update(rows, ["draft", "disclosure_state", "updated_at"])
    _events(rows[0].incident, [row.account_id for row in rows], action="incident_drafted", actor=actor)
    return len(rows)


@transaction.atomic
def affected_draft_update(*, affected: AffectedAccount, actor: Actor, draft: str) -> AffectedAccount:
    """Edit the disclosure to one account before telling them."""
    require_manager(actor)
    affected = _affected_lock(affected)
    _not_told(affected)
    affected.draft = clean_text(draft, field="draft", max_length=MAX_TEXT * 2, required=True)
    affected.disclosure_state = DisclosureState.DRAFTED
    affected.updated_at = timezone.now()
    affected.save(update_fields=["draft", "disclosure_state", "updated_at"])
    return affected


@transaction.atomic
def affected_mark_told(
    *, affected: AffectedAccount, actor: Actor, via: str, told_at: Any = None, draft: str | None = None
) -> AffectedAccount:
    """Record that the account was told: when (now unless given), by the actor, how (email, call, meeting, letter);
    `draft` keeps what was actually said."""
    require_manager(actor)
    affected = _affected_lock(affected)
    _not_told(affected)
    now = timezone.now()
    moment = clean_datetime(told_at, field="told_at") if told_at is not None else now
    if moment > now:
        raise ApplicationError(_("Choose a time that has passed."), field="told_at")
    if draft is not None:
        affected.draft = clean_text(draft, field="draft", max_length=MAX_TEXT * 2)
    affected.told_via = clean_choice(via, choices=DisclosureChannel.values, field="via")
    affected.disclosure_state = DisclosureState.TOLD
    affected.told_at = moment
    affected.told_by = _user(actor)
    affected.updated_at = now
    affected.save(update_fields=["draft", "told_via", "disclosure_state", "told_at", "told_by", "updated_at"])
    new = {"via": affected.told_via, "told_at": moment.isoformat()}
    _record_one(affected, action="incident_disclosed", actor=actor, new=new)
    return affected


@transaction.atomic
def affected_remedy_record(
    *, affected: AffectedAccount, actor: Actor, remedy: str, remedied_at: Any = None
) -> AffectedAccount:
    """Record what was done to make it right for the account (again, to correct or add to it)."""
    require_manager(actor)
    affected = _affected_lock(affected)
    now = timezone.now()
    moment = clean_datetime(remedied_at, field="remedied_at") if remedied_at is not None else now
    if moment > now:
        raise ApplicationError(_("Choose a time that has passed."), field="remedied_at")
    affected.remedy = clean_text(remedy, field="remedy", max_length=MAX_TEXT, required=True)
    affected.remedied_at = moment
    affected.updated_at = now
    affected.save(update_fields=["remedy", "remedied_at", "updated_at"])
    _record_one(affected, action="incident_remedied", actor=actor, new={"remedy": affected.remedy})
    return affected
