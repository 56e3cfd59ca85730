import pytest

from carefront.accounts.services import account_change_service_model
from carefront.desk import selectors
from carefront.desk.selectors import TicketFilters, tickets_list
from carefront.desk.services import ticket_create


@pytest.fixture
def client_tickets(carol, charlie, dana, morgan):
    account_change_service_model(
        account=carol.account, actor=morgan, service_model="client", owner=dana, reason="Regular buyer"
    )
    mine = [ticket_create(actor=None, requester=carol, subject=f"Client {i}", body="b") for i in range(4)]
    ticket_create(actor=None, requester=charlie, subject="Customer", body="b")
    return mine


def _listed(user, **filters):
    tickets = tickets_list(user=user, filters=TicketFilters(**filters))
    return sorted(ticket.pk for ticket in tickets), str(tickets.query)


@pytest.mark.parametrize("account_filter", ["service_model", "owner"])
def test_accounts_holding_few_tickets_are_named_by_id_and_many_are_tested_per_ticket(
    monkeypatch, client_tickets, dana, morgan, account_filter
):
    filters = {"service_model": "client"} if account_filter == "service_model" else {"owner": dana.pk}
    expected = sorted(ticket.pk for ticket in client_tickets)

    monkeypatch.setattr(selectors, "FEW_TICKETS", 5)
    ids, sql = _listed(morgan, **filters)
    assert ids == expected
    assert "EXISTS" not in sql and f"IN ({client_tickets[0].account_id})" in sql

    # The account now holds as many tickets as the limit: a page is found by walking tickets, not sorting theirs.
    monkeypatch.setattr(selectors, "FEW_TICKETS", 4)
    ids, sql = _listed(morgan, **filters)
    assert ids == expected
    assert "EXISTS" in sql
