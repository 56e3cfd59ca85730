"""REST endpoints for accounts, contacts and orders."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from carefront.accounts import selectors, services
from carefront.accounts.access import access_account, access_contact, access_order, accounts_visible_to
from carefront.accounts.models import Account
from carefront.api.common import (
    ERRORS,
    EventOut,
    Id,
    IdCursorPagination,
    IsoDatetime,
    OldestFirstPagination,
    StrictIn,
    UserRef,
    actor,
    staff_actor,
    user_by_id,
)
from carefront.core.access import is_staff_member, require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import events_for
from carefront.desk.selectors import account_cost_to_serve

router = Router(tags=["accounts"])
User = get_user_model()

Kind = Literal["person", "organisation"]
ServiceModelName = Literal["customer", "client"]
Stage = Literal["prospect", "new", "repeat", "client", "at_risk", "churned"]
ChannelName = Literal["email", "portal", "chat", "phone", "social", "api"]


def _paying_account(request: HttpRequest, account_id: Id | None) -> Account | None:
    if account_id is None:
        return None
    account = accounts_visible_to(actor(request)).filter(pk=account_id).first()
    if account is None:
        raise ApplicationError(_("No account with id {id}.").format(id=account_id), field="served_for_id")
    return account


class AccountOut(Schema):
    id: int
    name: str
    kind: str
    service_model: str
    lifecycle_stage: str
    owner: UserRef | None
    locale: str
    time_zone: str
    country: str
    segment: str
    tags: list[str]
    served_for_id: Id | None
    external_id: str | None
    custom_fields: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Account) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())


class CostToServeOut(Schema):
    minutes: int = Field(description="Staff minutes recorded on the account's ticket replies and notes.")
    amount: Decimal = Field(description="Those minutes at each author's role cost rate.")
    currency: str
    minutes_by_role: dict[str, int]


class AccountDetailOut(AccountOut):
    cost_to_serve: CostToServeOut | None = Field(description="Staff only; null for contacts.")

    @staticmethod
    def resolve_cost_to_serve(obj: Account, context: dict[str, Any]) -> Any:
        if not is_staff_member(actor(context["request"])):
            return None
        return account_cost_to_serve(account_id=obj.pk)


class AccountIn(StrictIn):
    name: str = Field(max_length=200, min_length=1)
    kind: Kind = "person"
    service_model: ServiceModelName = "customer"
    lifecycle_stage: Stage | None = None
    owner_id: Id | None = None
    locale: str = Field("en", max_length=16)
    time_zone: str = Field("UTC", max_length=64)
    country: str = Field("", max_length=2)
    segment: str = Field("", max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=50)
    served_for_id: Id | None = None
    external_id: str | None = Field(None, max_length=100)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class AccountPatch(StrictIn):
    name: str | None = Field(None, max_length=200, min_length=1)
    kind: Kind | None = None
    service_model: ServiceModelName | None = None
    lifecycle_stage: Stage | None = None
    owner_id: Id | None = None
    locale: str | None = Field(None, max_length=16)
    time_zone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2)
    segment: str | None = Field(None, max_length=64)
    tags: list[str] | None = Field(None, max_length=50)
    served_for_id: Id | None = None
    external_id: str | None = Field(None, max_length=100)
    custom_fields: dict[str, Any] | None = None
    reason: str = Field("", max_length=1000, description="Required when service_model or owner changes.")
    version: Id | None = Field(None, description="The version you read; a stale one is refused with 409.")


class AccountQuery(Schema):
    service_model: ServiceModelName | None = None
    lifecycle_stage: Stage | None = None
    owner: Id | None = None
    segment: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2)
    kind: Kind | None = None
    tag: str | None = Field(None, max_length=50)
    external_id: str | None = Field(None, max_length=100)
    served_for: Id | None = None
    updated_since: IsoDatetime | None = None
    saved_segment: Id | None = Field(None, description="Accounts in this saved segment (/api/v1/insights/segments).")


@router.get("/accounts", response={200: list[AccountOut], **ERRORS}, summary="List accounts")
@paginate(IdCursorPagination)
def list_accounts(request: HttpRequest, filters: Query[AccountQuery]) -> Any:
    return selectors.accounts_list(user=actor(request), filters=selectors.AccountFilters(**filters.dict()))


@router.post("/accounts", response={201: AccountOut, **ERRORS}, summary="Create an account")
def create_account(request: HttpRequest, payload: AccountIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    if data["service_model"] == "client" or data["owner_id"] is not None:
        require_manager(user)
    account = services.account_create(
        actor=user,
        owner=user_by_id(data.pop("owner_id"), field="owner_id"),
        served_for=_paying_account(request, data.pop("served_for_id")),
        **data,
    )
    return Status(201, selectors.accounts_list(user=user, filters=selectors.AccountFilters()).get(pk=account.pk))


@router.get("/accounts/{account_id}", response={200: AccountDetailOut, **ERRORS}, summary="Get an account")
def get_account(request: HttpRequest, account_id: Id) -> Any:
    access_account(user=actor(request), account_id=account_id)
    return selectors.accounts_list(user=actor(request), filters=selectors.AccountFilters()).get(pk=account_id)


@router.patch("/accounts/{account_id}", response={200: AccountOut, **ERRORS}, summary="Update an account")
def update_account(request: HttpRequest, account_id: Id, payload: AccountPatch) -> Any:
    account = access_account(user=actor(request), account_id=account_id)
    user = staff_actor(request)
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    version = changes.pop("version", None)
    if "owner_id" in changes:
        changes["owner"] = user_by_id(changes.pop("owner_id"), field="owner_id")
    if "service_model" in changes or "owner" in changes:
        require_manager(user)
    if "served_for_id" in changes:
        changes["served_for"] = _paying_account(request, changes.pop("served_for_id"))
    for field in ("name", "kind", "lifecycle_stage", "locale", "time_zone", "country", "segment", "custom_fields"):
        if field in changes and changes[field] is None:
            raise ApplicationError(_("This field cannot be null."), field=field)
    if changes.get("tags", []) is None:
        changes["tags"] = []
    if changes.get("service_model", "x") is None:
        raise ApplicationError(_("This field cannot be null."), field="service_model")
    services.account_update(account=account, actor=user, version=version, reason=reason, **changes)
    return selectors.accounts_list(user=user, filters=selectors.AccountFilters()).get(pk=account_id)


class DomainsIn(StrictIn):
    domains: list[str] = Field(max_length=50, description='The whole set, e.g. ["acme.example"].')


class DomainsOut(Schema):
    domains: list[str]


@router.get(
    "/accounts/{account_id}/domains",
    response={200: DomainsOut, **ERRORS},
    summary="The email domains an organisation owns: unknown senders at them join it",
)
def get_account_domains(request: HttpRequest, account_id: Id) -> Any:
    account = access_account(user=actor(request), account_id=account_id)
    staff_actor(request)
    return {"domains": selectors.account_domains(account=account)}


@router.put("/accounts/{account_id}/domains", response={200: DomainsOut, **ERRORS}, summary="Set its email domains")
def set_account_domains(request: HttpRequest, account_id: Id, payload: DomainsIn) -> Any:
    account = access_account(user=actor(request), account_id=account_id)
    user = staff_actor(request)
    return {"domains": services.account_set_domains(account=account, domains=payload.domains, actor=user)}


@router.get(
    "/accounts/{account_id}/events", response={200: list[EventOut], **ERRORS}, summary="Audit trail of an account"
)
@paginate(OldestFirstPagination)
def account_events(request: HttpRequest, account_id: Id) -> Any:
    access_account(user=actor(request), account_id=account_id)
    staff_actor(request)
    return events_for(subject_kind="account", subject_id=account_id)


class ContactOut(Schema):
    id: int
    account_id: Id
    name: str
    email: str
    phone: str
    language: str
    preferred_channel: str
    external_id: str | None
    email_failing_since: datetime | None = Field(description="Set while mail to the address bounces.")
    email_failure: str | None = Field(description="The receiving server's reason, when it bounces.")
    version: int
    created_at: datetime
    updated_at: datetime


class ContactIn(StrictIn):
    account_id: Id
    name: str = Field(max_length=200, min_length=1)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    language: str | None = Field(None, max_length=16)
    preferred_channel: ChannelName = "email"
    external_id: str | None = Field(None, max_length=100)


class ContactPatch(StrictIn):
    name: str | None = Field(None, max_length=200, min_length=1)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    language: str | None = Field(None, max_length=16)
    preferred_channel: ChannelName | None = None
    external_id: str | None = Field(None, max_length=100)
    version: Id | None = None


class ContactQuery(Schema):
    account: Id | None = None
    email: str | None = Field(None, max_length=254)
    external_id: str | None = Field(None, max_length=100)
    updated_since: IsoDatetime | None = None


@router.get("/contacts", response={200: list[ContactOut], **ERRORS}, summary="List contacts")
@paginate(IdCursorPagination)
def list_contacts(request: HttpRequest, filters: Query[ContactQuery]) -> Any:
    return selectors.contacts_list(user=actor(request), filters=selectors.ContactFilters(**filters.dict()))


@router.post("/contacts", response={201: ContactOut, **ERRORS}, summary="Create a contact")
def create_contact(request: HttpRequest, payload: ContactIn) -> Any:
    account = access_account(user=actor(request), account_id=payload.account_id)
    user = staff_actor(request)
    data = payload.dict()
    data.pop("account_id")
    return Status(201, services.contact_create(actor=user, account=account, **data))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Get a contact")
def get_contact(request: HttpRequest, contact_id: Id) -> Any:
    return access_contact(user=actor(request), contact_id=contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Update a contact")
def update_contact(request: HttpRequest, contact_id: Id, payload: ContactPatch) -> Any:
    contact = access_contact(user=actor(request), contact_id=contact_id)
    user = staff_actor(request)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    for field in ("name", "preferred_channel", "language"):
        if field in changes and changes[field] is None:
            raise ApplicationError(_("This field cannot be null."), field=field)
    for field in ("email", "phone"):
        if field in changes and changes[field] is None:
            changes[field] = ""
    return services.contact_update(contact=contact, actor=user, version=version, **changes)


class OrderItemSchema(StrictIn):
    sku: str = Field("", max_length=64)
    name: str = Field(max_length=200, min_length=1)
    category: str = Field("", max_length=64)
    quantity: int = Field(1, ge=1, le=1_000_000)
    unit_price: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)


class OrderOut(Schema):
    id: int
    account_id: Id
    external_id: str
    placed_at: IsoDatetime
    amount: Decimal
    currency: str
    items: list[OrderItemSchema]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_items(obj: Any) -> list[dict[str, Any]]:
        return [
            {"sku": i.sku, "name": i.name, "category": i.category, "quantity": i.quantity, "unit_price": i.unit_price}
            for i in obj.items.all()
        ]


class OrderIn(StrictIn):
    account_id: Id
    external_id: str = Field(max_length=100, min_length=1)
    placed_at: IsoDatetime
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)
    items: list[OrderItemSchema] = Field(default_factory=list, max_length=1000)


class OrderPatch(StrictIn):
    placed_at: IsoDatetime | None = None
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    items: list[OrderItemSchema] | None = Field(None, max_length=1000)
    version: Id | None = None


class OrderQuery(Schema):
    account: Id | None = None
    placed_since: IsoDatetime | None = None
    placed_before: IsoDatetime | None = None
    external_id: str | None = Field(None, max_length=100)
    updated_since: IsoDatetime | None = None


@router.get("/orders", response={200: list[OrderOut], **ERRORS}, summary="List orders")
@paginate(IdCursorPagination)
def list_orders(request: HttpRequest, filters: Query[OrderQuery]) -> Any:
    return selectors.orders_list(user=actor(request), filters=selectors.OrderFilters(**filters.dict()))


@router.post("/orders", response={201: OrderOut, **ERRORS}, summary="Record an order")
def create_order(request: HttpRequest, payload: OrderIn) -> Any:
    account = access_account(user=actor(request), account_id=payload.account_id)
    user = staff_actor(request)
    require_manager(user)
    data = payload.dict()
    data.pop("account_id")
    order = services.order_create(actor=user, account=account, **data)
    return Status(201, selectors.orders_list(user=user, filters=selectors.OrderFilters()).get(pk=order.pk))


@router.get("/orders/{order_id}", response={200: OrderOut, **ERRORS}, summary="Get an order")
def get_order(request: HttpRequest, order_id: Id) -> Any:
    access_order(user=actor(request), order_id=order_id)
    return selectors.orders_list(user=actor(request), filters=selectors.OrderFilters()).get(pk=order_id)


@router.patch("/orders/{order_id}", response={200: OrderOut, **ERRORS}, summary="Correct an order")
def update_order(request: HttpRequest, order_id: Id, payload: OrderPatch) -> Any:
    order = access_order(user=actor(request), order_id=order_id)
    user = staff_actor(request)
    require_manager(user)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    for field in ("placed_at", "amount", "currency"):
        if field in changes and changes[field] is None:
            raise ApplicationError(_("This field cannot be null."), field=field)
    if changes.get("items", []) is None:
        changes["items"] = []
    services.order_update(order=order, actor=user, version=version, **changes)
    return selectors.orders_list(user=user, filters=selectors.OrderFilters()).get(pk=order_id)
