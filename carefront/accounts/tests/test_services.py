import pytest

from carefront.accounts.services import (
    account_change_owner,
    account_change_service_model,
    account_create,
    account_update,
    contact_create,
    contact_update,
    order_create,
)
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event


def test_making_a_customer_a_client_moves_lifecycle_and_back(acme, dana, morgan):
    account_change_service_model(account=acme, actor=morgan, service_model="client", owner=dana, reason="grew")
    acme.refresh_from_db()
    assert (acme.service_model, acme.lifecycle_stage, acme.owner) == ("client", "client", dana)
    account_change_service_model(account=acme, actor=morgan, service_model="customer", reason="shrank")
    acme.refresh_from_db()
    assert (acme.service_model, acme.lifecycle_stage) == ("customer", "repeat")
    reasons = list(Event.objects.filter(subject_id=acme.pk, field="service_model").values_list("reason", flat=True))
    assert reasons == ["grew", "shrank"]


def test_owner_change_needs_a_reason_and_keeps_clients_owned(acme, dana, morgan, bob):
    account_change_service_model(account=acme, actor=morgan, service_model="client", owner=dana, reason="grew")
    with pytest.raises(ApplicationError) as refused:
        account_change_owner(account=acme, actor=morgan, owner=bob, reason="  ")
    assert refused.value.field == "reason"
    with pytest.raises(ApplicationError) as refused:
        account_change_owner(account=acme, actor=morgan, owner=None, reason="leaving")
    assert refused.value.field == "owner"
    account_change_owner(account=acme, actor=morgan, owner=bob, reason="Dana is on leave")
    acme.refresh_from_db()
    assert acme.owner == bob


def test_account_fields_are_validated(db):
    bad: dict[str, dict] = {
        "time_zone": {"time_zone": "Mars/Olympus"},
        "country": {"country": "XX"},
        "locale": {"locale": "english"},
    }
    for field, kwargs in bad.items():
        with pytest.raises(ApplicationError) as refused:
            account_create(actor=None, name="X", **kwargs)
        assert refused.value.field == field


def test_served_for_cannot_chain_or_loop(acme, globex):
    end_customer = account_create(actor=None, name="End customer", served_for=acme)
    with pytest.raises(ApplicationError):
        account_create(actor=None, name="Nested", served_for=end_customer)
    with pytest.raises(ApplicationError):
        account_update(account=acme, actor=None, served_for=acme)
    account_update(account=globex, actor=None, served_for=acme)
    globex.refresh_from_db()
    assert globex.served_for == acme


def test_contact_phone_is_read_in_the_account_country_and_stored_e164(acme):
    contact = contact_create(actor=None, account=acme, name="Dave", email="dave@acme.example", phone="020 7183 8750")
    assert contact.phone == "+442071838750"
    contact = contact_update(contact=contact, actor=None, phone="+33 1 42 68 53 00")
    assert contact.phone == "+33142685300"


def test_contact_email_unique_per_account_only(acme, globex, carol):
    with pytest.raises(ApplicationError) as refused:
        contact_create(actor=None, account=acme, name="Carol again", email="CAROL@acme.example")
    assert refused.value.status == 409
    other = contact_create(actor=None, account=globex, name="Carol elsewhere", email="carol@acme.example")
    assert other.email == "carol@acme.example"


def test_order_amount_defaults_to_items_total_and_rejects_bad_lines(acme):
    order = order_create(
        actor=None,
        account=acme,
        external_id="o-1",
        placed_at="2026-02-01T09:30:00+01:00",
        currency="gbp",
        items=[{"name": "Tea", "quantity": 2, "unit_price": "3.25"}, {"name": "Pot", "unit_price": "20"}],
    )
    assert str(order.amount) == "26.50"
    assert order.currency == "GBP"
    assert order.placed_at.isoformat() == "2026-02-01T08:30:00+00:00"
    with pytest.raises(ApplicationError) as refused:
        order_create(
            actor=None,
            account=acme,
            external_id="o-2",
            placed_at="2026-02-01",
            currency="GBP",
            items=[{"name": "Tea", "quantity": -2, "unit_price": "3"}],
        )
    assert refused.value.field == "items[0].quantity"
    with pytest.raises(ApplicationError) as refused:
        order_create(actor=None, account=acme, external_id="o-3", placed_at="yesterday", currency="GBP", amount="1")
    assert refused.value.field == "placed_at"
