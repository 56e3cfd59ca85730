"""Every write to accounts, contacts and orders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carefront.accounts.models import (
    Account,
    AccountDomain,
    AccountKind,
    Channel,
    Contact,
    LifecycleStage,
    Order,
    OrderItem,
    ServiceModel,
)
from carefront.core.access import staff_role
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.core.services import (
    Actor,
    Change,
    events_build,
    events_record,
    tag_names_normalise,
    tags_get_or_create,
)
from carefront.core.validation import (
    clean_choice,
    clean_country,
    clean_currency,
    clean_datetime,
    clean_decimal,
    clean_email,
    clean_locale,
    clean_phone,
    clean_text,
    clean_time_zone,
    version_check,
)
from carefront.relationships.services_health import health_mark_stale

User = get_user_model()

ACCOUNT_SIMPLE_FIELDS = (
    "name",
    "kind",
    "lifecycle_stage",
    "locale",
    "time_zone",
    "country",
    "segment",
    "custom_fields",
)


def owner_validate(owner: Any, *, field: str = "owner") -> None:
    """An owner must be an active staff member."""
    if owner is None:
        return
    if not owner.is_active or staff_role(owner) is None:
        raise ApplicationError(
            _("{user} cannot own accounts: only active staff can.").format(user=owner.get_username()), field=field
        )


def _clean_account_value(field: str, value: Any) -> Any:
    if field == "name":
        return clean_text(value, field="name", max_length=200, required=True)
    if field == "kind":
        return clean_choice(value, choices=AccountKind.values, field="kind")
    if field == "lifecycle_stage":
        return clean_choice(value, choices=LifecycleStage.values, field="lifecycle_stage")
    if field == "locale":
        return clean_locale(value)
    if field == "time_zone":
        return clean_time_zone(value)
    if field == "country":
        return clean_country(value)
    if field == "segment":
        return clean_text(value, field="segment", max_length=64)
    if field == "custom_fields":
        if not isinstance(value, dict):
            raise ApplicationError(_("Custom fields must be an object of names to values."), field="custom_fields")
        return value
    raise ApplicationError(_("Unknown field."), field=field)


def _audit_value(value: Any) -> Any:
    if isinstance(value, Account):
        return value.pk
    if hasattr(value, "get_username"):
        return value.get_username()
    return value


def _served_for_validate(account: Account | None, served_for: Account | None) -> None:
    if served_for is None:
        return
    if account is not None and served_for.pk == account.pk:
        raise ApplicationError(_("An account cannot be served for itself."), field="served_for")
    if served_for.served_for_id is not None:
        raise ApplicationError(
            _("{name} is itself served for another account; choose the paying account.").format(name=served_for.name),
            field="served_for",
        )


@transaction.atomic
def account_create(
    *,
    actor: Actor,
    name: str,
    kind: str = AccountKind.PERSON,
    service_model: str = ServiceModel.CUSTOMER,
    lifecycle_stage: str | None = None,
    owner: Any = None,
    locale: str = "en",
    time_zone: str = "UTC",
    country: str = "",
    segment: str = "",
    tags: Iterable[str] = (),
    served_for: Account | None = None,
    external_id: str | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Account:
    """Create an account; a client needs an owner from the start."""
    clean_choice(service_model, choices=ServiceModel.values, field="service_model")
    owner_validate(owner)
    if service_model == ServiceModel.CLIENT and owner is None:
        raise ApplicationError(_("A client needs an owner (their advisor)."), field="owner")
    _served_for_validate(None, served_for)
    external_id = clean_text(external_id, field="external_id", max_length=100) or None
    if external_id and Account.objects.filter(external_id=external_id).exists():
        raise ApplicationError(
            _("An account with external id “{id}” already exists.").format(id=external_id),
            field="external_id",
            status=409,
        )
    if lifecycle_stage is None:
        lifecycle_stage = LifecycleStage.CLIENT if service_model == ServiceModel.CLIENT else LifecycleStage.NEW
    values = {
        field: _clean_account_value(field, value)
        for field, value in {
            "name": name,
            "kind": kind,
            "lifecycle_stage": lifecycle_stage,
            "locale": locale,
            "time_zone": time_zone,
            "country": country,
            "segment": segment,
            "custom_fields": custom_fields or {},
        }.items()
    }
    tag_names = tag_names_normalise(tags)
    now = timezone.now()
    account = Account.objects.create(
        service_model=service_model,
        owner=owner,
        served_for=served_for,
        external_id=external_id,
        created_at=now,
        updated_at=now,
        **values,
    )
    if tag_names:
        account.tags.set(tags_get_or_create(names=tag_names))
    events_record(subject_kind="account", subject_id=account.pk, action="created", actor=actor)
    return account


@transaction.atomic
def account_update(
    *,
    account: Account,
    actor: Actor,
    version: int | None = None,
    reason: str = "",
    **changes: Any,
) -> Account:
    """Change an account's fields, each change audited; service model and owner need a reason."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    version_check(account, version)
    old_owner_id = account.owner_id
    recorded: list[Change] = []
    update_fields: list[str] = []

    if "service_model" in changes or "owner" in changes:
        new_model = changes.pop("service_model", account.service_model)
        new_owner = changes.pop("owner", account.owner)
        recorded += _service_model_apply(account=account, service_model=new_model, owner=new_owner, reason=reason)
    for field in ("tags",):
        if field in changes:
            names = tag_names_normalise(changes.pop(field) or [])
            old = sorted(account.tags.values_list("name", flat=True))
            if names != old:
                account.tags.set(tags_get_or_create(names=names))
                recorded.append(Change("tags", old, names))
    if "served_for" in changes:
        served_for = changes.pop("served_for")
        _served_for_validate(account, served_for)
        if served_for != account.served_for:
            recorded.append(Change("served_for", account.served_for_id, served_for.pk if served_for else None))
            account.served_for = served_for
    if "external_id" in changes:
        external_id = clean_text(changes.pop("external_id"), field="external_id", max_length=100) or None
        if external_id != account.external_id:
            if external_id and Account.objects.filter(external_id=external_id).exclude(pk=account.pk).exists():
                raise ApplicationError(
                    _("An account with external id “{id}” already exists.").format(id=external_id),
                    field="external_id",
                    status=409,
                )
            recorded.append(Change("external_id", account.external_id, external_id))
            account.external_id = external_id
    for field, value in changes.items():
        if field not in ACCOUNT_SIMPLE_FIELDS:
            raise ApplicationError(_("Unknown field."), field=field)
        cleaned = _clean_account_value(field, value)
        if getattr(account, field) != cleaned:
            recorded.append(Change(field, getattr(account, field), cleaned))
            setattr(account, field, cleaned)
    if not recorded:
        return account
    account.version += 1
    account.updated_at = timezone.now()
    update_fields = [c.field for c in recorded if c.field != "tags"]
    account.save(update_fields=[*update_fields, "version", "updated_at"])
    if {"service_model", "segment"} & set(update_fields):
        # Which SLA policy times a ticket depends on its account's service model and segment.
        from carefront.desk.sla_services import sla_account_retarget

        sla_account_retarget(account_id=account.pk, now=account.updated_at)
    events_record(
        subject_kind="account", subject_id=account.pk, action="updated", changes=recorded, reason=reason, actor=actor
    )
    if "owner" in update_fields and old_owner_id is not None and account.owner_id is not None:
        # The old advisor's unfinished work on the account follows it to the new one: nothing is left with
        # someone who no longer serves the account.
        from carefront.relationships.services_portfolio import account_work_follow_owner

        account_work_follow_owner(account=account, old_owner_id=old_owner_id, reason=reason, actor=actor)
    return account


def _service_model_apply(*, account: Account, service_model: str, owner: Any, reason: str) -> list[Change]:
    """The rules of moving between customer and client, applied to an unsaved account."""
    clean_choice(service_model, choices=ServiceModel.values, field="service_model")
    owner_validate(owner)
    if service_model == account.service_model and owner == account.owner:
        return []
    if not reason.strip():
        raise ApplicationError(_("Say why the service model or owner changes."), field="reason")
    if service_model == ServiceModel.CLIENT and owner is None:
        raise ApplicationError(_("A client needs an owner (their advisor)."), field="owner")
    recorded: list[Change] = []
    if service_model != account.service_model:
        recorded.append(Change("service_model", account.service_model, service_model))
        account.service_model = service_model
        # The lifecycle follows the model unless it already says something more specific.
        if service_model == ServiceModel.CLIENT and account.lifecycle_stage in {
            LifecycleStage.PROSPECT,
            LifecycleStage.NEW,
            LifecycleStage.REPEAT,
        }:
            recorded.append(Change("lifecycle_stage", account.lifecycle_stage, LifecycleStage.CLIENT))
            account.lifecycle_stage = LifecycleStage.CLIENT
        elif service_model == ServiceModel.CUSTOMER and account.lifecycle_stage == LifecycleStage.CLIENT:
            recorded.append(Change("lifecycle_stage", account.lifecycle_stage, LifecycleStage.REPEAT))
            account.lifecycle_stage = LifecycleStage.REPEAT
    if owner != account.owner:
        recorded.append(Change("owner", _audit_value(account.owner), _audit_value(owner)))
        account.owner = owner
    return recorded


def account_change_service_model(
    *, account: Account, actor: Actor, service_model: str, owner: Any = None, reason: str, version: int | None = None
) -> Account:
    """Make an account a client (with its advisor) or a customer again, with a reason."""
    new_owner = owner if owner is not None else account.owner
    return account_update(
        account=account, actor=actor, version=version, reason=reason, service_model=service_model, owner=new_owner
    )


def account_change_owner(
    *, account: Account, actor: Actor, owner: Any, reason: str, version: int | None = None
) -> Account:
    """Hand an account to another advisor (or none, for a customer), with a reason."""
    return account_update(account=account, actor=actor, version=version, reason=reason, owner=owner)


def _clean_contact_values(values: dict[str, Any], *, region: str) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field == "name":
            cleaned[field] = clean_text(value, field="name", max_length=200, required=True)
        elif field == "email":
            cleaned[field] = clean_email(value)
        elif field == "phone":
            cleaned[field] = clean_phone(value, region=region)
        elif field == "language":
            cleaned[field] = clean_locale(value, field="language")
        elif field == "time_zone":
            # Empty means "the account's time zone".
            cleaned[field] = clean_time_zone(value) if value else ""
        elif field == "preferred_channel":
            cleaned[field] = clean_choice(value, choices=Channel.values, field="preferred_channel")
        elif field == "external_id":
            cleaned[field] = clean_text(value, field="external_id", max_length=100) or None
        else:
            raise ApplicationError(_("Unknown field."), field=field)
    return cleaned


def _contact_unique_check(*, account_id: int, email: str, external_id: str | None, exclude_pk: int | None) -> None:
    if email:
        clash = Contact.objects.filter(account_id=account_id, email=email)
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            raise ApplicationError(
                _("This account already has a contact with email {email}.").format(email=email),
                field="email",
                status=409,
            )
    if external_id:
        clash = Contact.objects.filter(external_id=external_id)
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            raise ApplicationError(
                _("A contact with external id “{id}” already exists.").format(id=external_id),
                field="external_id",
                status=409,
            )


@transaction.atomic
def contact_create(
    *,
    actor: Actor,
    account: Account,
    name: str,
    email: str = "",
    phone: str = "",
    language: str | None = None,
    preferred_channel: str = Channel.EMAIL,
    external_id: str | None = None,
) -> Contact:
    """Add a person to an account; emails are unique within the account."""
    values = _clean_contact_values(
        {
            "name": name,
            "email": email,
            "phone": phone,
            "language": language or account.locale.split("-")[0].split("_")[0],
            "preferred_channel": preferred_channel,
            "external_id": external_id,
        },
        region=account.country,
    )
    _contact_unique_check(
        account_id=account.pk, email=values["email"], external_id=values["external_id"], exclude_pk=None
    )
    now = timezone.now()
    contact = Contact.objects.create(account=account, created_at=now, updated_at=now, **values)
    events_record(
        subject_kind="account",
        subject_id=account.pk,
        action="contact_added",
        changes=[Change("contact", None, contact.name)],
        actor=actor,
    )
    return contact


@dataclass(frozen=True)
class NewPerson:
    """Someone who reached us on their own: a person account of theirs, with them as its one contact."""

    name: str
    email: str
    language: str


def people_create(*, actor: Actor, people: Sequence[NewPerson]) -> list[Contact]:
    """A customer account of their own for each person, with them as its contact, as `account_create` and
    `contact_create` would make them, in a few statements for them all (email files new senders in batches).
    All or none: the first person refused refuses them all."""
    cleaned = []
    for person in people:
        language = clean_locale(person.language, field="language")
        name = _clean_account_value("name", person.name)
        cleaned.append((name, clean_email(person.email), language))
    if not cleaned:
        return []
    now = timezone.now()
    accounts = [
        Account(
            name=name,
            kind=AccountKind.PERSON,
            service_model=ServiceModel.CUSTOMER,
            lifecycle_stage=LifecycleStage.NEW,
            locale=language,
            created_at=now,
            updated_at=now,
        )
        for name, _email, language in cleaned
    ]
    with transaction.atomic():
        Account.objects.bulk_create(accounts)
        contacts = [
            Contact(
                account=account,
                name=name,
                email=email,
                language=language,
                preferred_channel=Channel.EMAIL,
                created_at=now,
                updated_at=now,
            )
            for account, (name, email, language) in zip(accounts, cleaned, strict=True)
        ]
        Contact.objects.bulk_create(contacts)
        events: list[Event] = []
        for contact in contacts:
            events += events_build(
                subject_kind="account", subject_id=contact.account_id, action="created", actor=actor, occurred_at=now
            )
            events += events_build(
                subject_kind="account",
                subject_id=contact.account_id,
                action="contact_added",
                changes=[Change("contact", None, contact.name)],
                actor=actor,
                occurred_at=now,
            )
        Event.objects.bulk_create(events)
    return contacts


@transaction.atomic
def contact_update(*, contact: Contact, actor: Actor, version: int | None = None, **changes: Any) -> Contact:
    """Change a contact's details."""
    contact = Contact.objects.select_for_update().select_related("account").get(pk=contact.pk)
    version_check(contact, version)
    values = _clean_contact_values(changes, region=contact.account.country)
    _contact_unique_check(
        account_id=contact.account_id,
        email=values.get("email", ""),
        external_id=values.get("external_id"),
        exclude_pk=contact.pk,
    )
    changed = [field for field, value in values.items() if getattr(contact, field) != value]
    if not changed:
        return contact
    for field in changed:
        setattr(contact, field, values[field])
    if "email" in changed and contact.email_failing_since is not None:
        # A new address has not bounced yet.
        contact.email_failing_since, contact.email_failure = None, None
        changed += ["email_failing_since", "email_failure"]
    contact.version += 1
    contact.updated_at = timezone.now()
    contact.save(update_fields=[*changed, "version", "updated_at"])
    return contact


def contact_set_email_failing(*, contact: Contact, failing: bool, reason: str = "") -> Contact:
    """Mark a contact's address as bouncing (mail to it is not sent until it changes or they write again),
    or as working again."""
    now = timezone.now()
    if failing:
        updated = Contact.objects.filter(pk=contact.pk).update(
            email_failing_since=now, email_failure=reason[:500], updated_at=now
        )
        action, change = "email_failing", Change("email_failure", None, reason[:500])
    else:
        updated = Contact.objects.filter(pk=contact.pk, email_failing_since__isnull=False).update(
            email_failing_since=None, email_failure=None, updated_at=now
        )
        action, change = "email_working", Change("email_failure", contact.email_failure, None)
    if updated:
        contact.email_failing_since = now if failing else None
        contact.email_failure = reason[:500] if failing else None
        events_record(subject_kind="contact", subject_id=contact.pk, action=action, changes=[change], actor=None)
    return contact


def domains_clean(domains: Iterable[str], *, field: str = "domains") -> list[str]:
    cleaned: list[str] = []
    for value in domains:
        domain = clean_text(value, field=field, max_length=253).lower().lstrip("@")
        if not domain:
            continue
        try:
            clean_email(f"postmaster@{domain}", field=field)
        except ApplicationError as exc:
            raise ApplicationError(
                _("“{domain}” is not an email domain.").format(domain=domain[:80]), field=field
            ) from exc
        cleaned.append(domain)
    return sorted(set(cleaned))


@transaction.atomic
def account_set_domains(*, account: Account, domains: Iterable[str], actor: Actor) -> list[str]:
    """The email domains an organisation owns: mail from an unknown sender at one of them files under it."""
    cleaned = domains_clean(domains)
    if cleaned and account.kind != AccountKind.ORGANISATION:
        raise ApplicationError(_("Only an organisation account can own email domains."), field="domains")
    taken = AccountDomain.objects.filter(domain__in=cleaned).exclude(account=account).select_related("account").first()
    if taken is not None:
        raise ApplicationError(
            _("The domain {domain} already belongs to {account}.").format(
                domain=taken.domain, account=taken.account.name
            ),
            field="domains",
            status=409,
        )
    current = sorted(AccountDomain.objects.filter(account=account).values_list("domain", flat=True))
    if current == cleaned:
        return cleaned
    AccountDomain.objects.filter(account=account).exclude(domain__in=cleaned).delete()
    AccountDomain.objects.bulk_create(
        [AccountDomain(account=account, domain=domain) for domain in cleaned if domain not in current]
    )
    events_record(
        subject_kind="account",
        subject_id=account.pk,
        action="updated",
        changes=[Change("domains", current, cleaned)],
        actor=actor,
    )
    return cleaned


# One validated order line: sku, name, category, quantity, unit price.
OrderLine = tuple[str, str, str, int, Decimal]


def order_items_clean(items: Sequence[dict[str, Any]], *, field: str = "items") -> list[OrderItem]:
    """Validate order lines; the caller attaches them to an order."""
    return [
        OrderItem(sku=sku, name=name, category=category, quantity=quantity, unit_price=unit_price)
        for sku, name, category, quantity, unit_price in order_lines_clean(items, field=field)
    ]


def order_lines_clean(items: Sequence[dict[str, Any]], *, field: str = "items") -> list[OrderLine]:
    """Validate order lines as plain tuples, for bulk imports that write them without model instances."""
    if not isinstance(items, (list, tuple)):
        raise ApplicationError(_("Items must be a list."), field=field)
    lines: list[OrderLine] = []
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise ApplicationError(_("Each item must be an object."), field=where)
        unknown = set(item) - {"sku", "name", "category", "quantity", "unit_price"}
        if unknown:
            raise ApplicationError(_("Unknown field."), field=f"{where}.{sorted(unknown)[0]}")
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            try:
                quantity = int(str(quantity))
            except ValueError as exc:
                raise ApplicationError(_("Quantity must be a whole number."), field=f"{where}.quantity") from exc
        if quantity < 1 or quantity > 1_000_000:
            raise ApplicationError(_("Quantity must be between 1 and 1,000,000."), field=f"{where}.quantity")
        lines.append(
            (
                clean_text(item.get("sku", ""), field=f"{where}.sku", max_length=64),
                clean_text(item.get("name", ""), field=f"{where}.name", max_length=200, required=True),
                clean_text(item.get("category", ""), field=f"{where}.category", max_length=64),
                quantity,
                clean_decimal(item.get("unit_price", "0"), field=f"{where}.unit_price"),
            )
        )
    return lines


@transaction.atomic
def order_create(
    *,
    actor: Actor,
    account: Account,
    external_id: str,
    placed_at: datetime | str,
    currency: str,
    amount: Decimal | str | None = None,
    items: Sequence[dict[str, Any]] = (),
) -> Order:
    """Record a purchase; without an amount, the items' total is the amount."""
    external_id = clean_text(external_id, field="external_id", max_length=100, required=True)
    if Order.objects.filter(external_id=external_id).exists():
        raise ApplicationError(
            _("An order with external id “{id}” already exists.").format(id=external_id),
            field="external_id",
            status=409,
        )
    lines = order_items_clean(items)
    if amount is None:
        if not lines:
            raise ApplicationError(_("Give an amount or at least one item."), field="amount")
        total = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    else:
        total = clean_decimal(amount, field="amount")
    now = timezone.now()
    order = Order.objects.create(
        account=account,
        external_id=external_id,
        placed_at=clean_datetime(placed_at, field="placed_at"),
        amount=clean_decimal(total, field="amount"),
        currency=clean_currency(currency),
        created_at=now,
        updated_at=now,
    )
    for line in lines:
        line.order = order
    OrderItem.objects.bulk_create(lines)
    # The relationships schedule their welcome and thank-you follow-ups after the commit.
    from carefront.relationships.services_followups import ORDER_CREATED, followups_after_commit

    followups_after_commit(event=ORDER_CREATED, object_id=order.pk)
    # And the feedback app's "after the Nth order" survey campaigns.
    from carefront.feedback.services_sending import ORDER_CREATED as SURVEY_ORDER_CREATED
    from carefront.feedback.services_sending import surveys_after_commit

    surveys_after_commit(event=SURVEY_ORDER_CREATED, object_id=order.pk)
    if account.service_model == ServiceModel.CLIENT:
        health_mark_stale(account_ids=[account.pk])
    return order


@transaction.atomic
def order_update(*, order: Order, actor: Actor, version: int | None = None, **changes: Any) -> Order:
    """Correct an order's time, amount, currency or items."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    version_check(order, version)
    fields: list[str] = []
    for field, value in changes.items():
        if field == "placed_at":
            order.placed_at = clean_datetime(value, field="placed_at")
        elif field == "amount":
            order.amount = clean_decimal(value, field="amount")
        elif field == "currency":
            order.currency = clean_currency(value)
        elif field == "items":
            lines = order_items_clean(value)
            order.items.all().delete()
            for line in lines:
                line.order = order
            OrderItem.objects.bulk_create(lines)
            continue
        else:
            raise ApplicationError(_("Unknown field."), field=field)
        fields.append(field)
    order.version += 1
    order.updated_at = timezone.now()
    order.save(update_fields=[*fields, "version", "updated_at"])
    health_mark_stale(account_ids=[order.account_id])
    return order


@transaction.atomic
def contact_grant_portal_access(*, contact: Contact, actor: Actor) -> Any:
    """The contact's portal user (created on first use): what their sign-in and API token belong to."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.user_id is not None:
        return contact.user
    if not contact.email:
        raise ApplicationError(_("A contact needs an email address to use the portal."), field="email")
    user = User.objects.create_user(username=f"contact-{contact.pk}", email=contact.email, password=None)
    contact.user = user
    contact.save(update_fields=["user"])
    events_record(
        subject_kind="account",
        subject_id=contact.account_id,
        action="portal_access_granted",
        changes=[Change("contact", None, contact.email)],
        actor=actor,
    )
    return user
