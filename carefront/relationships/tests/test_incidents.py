"""Incidents: recording a mistake, linking the accounts it touched, disclosure drafts from a safe template in each
contact's language, telling and remedying, the fully-disclosed rule, the log; who may see and do what (Morgan the
manager everything, Dana her clients' incidents read-only, Erin none of Dana's, Charlie's portal token nothing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_create, contact_create
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import events_for
from carefront.relationships.disclosure import DisclosureContext, disclosure_render
from carefront.relationships.incident_selectors import IncidentFilters, incident_detail, incidents_log
from carefront.relationships.incident_services import (
    affected_draft_update,
    affected_mark_told,
    affected_remedy_record,
    incident_accounts_add,
    incident_create,
    incident_drafts_prepare,
    incident_update,
)
from carefront.relationships.models import AffectedAccount, Incident
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

BASE = "/api/v1/relationships/incidents"
HTMX = {"HX-Request": "true"}


def _incident(actor: Any, *, title: str = "Invoices charged twice", **extra: Any) -> Incident:
    values: dict[str, Any] = {
        "title": title,
        "what_happened": "A retry in the billing run charged the May invoice twice.",
        "occurred_at": NOW - timedelta(days=3),
        "discovered_at": NOW - timedelta(days=1),
        "impact": "Clients paid twice.",
        "severity": "high",
        "owner": actor,
        **extra,
    }
    return incident_create(actor=actor, **values)


def _row(incident: Incident, account: Account) -> AffectedAccount:
    return AffectedAccount.objects.get(incident=incident, account=account)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def french_contact(client_account: Account) -> Contact:
    return contact_create(actor=None, account=client_account, name="Chloé Martin", language="fr")


@pytest.fixture
def customer(clock: Any) -> Account:
    return account_create(actor=None, name="Walk-in Customer", kind="person", locale="en")


@pytest.fixture
def incident(clock: Any, morgan: Any) -> Incident:
    return _incident(morgan)


# --- services ------------------------------------------------------------------------------------


def test_a_manager_records_an_incident_and_links_accounts_on_their_history(
    incident: Incident, morgan: Any, client_account: Account, erins_client: Account
) -> None:
    rows = incident_accounts_add(
        incident=incident, actor=morgan, accounts=[client_account, erins_client], consequence="Charged €120 twice."
    )
    assert {row.account_id for row in rows} == {client_account.pk, erins_client.pk}
    again = incident_accounts_add(incident=incident, actor=morgan, accounts=[client_account])
    assert again == []  # already linked: left as it is
    event: Any = events_for(subject_kind="account", subject_id=client_account.pk).get(action="incident_linked")
    assert event.field == "incident"
    assert event.new_value["title"] == "Invoices charged twice"
    assert event.new_value["consequence"] == "Charged €120 twice."


def test_linking_many_accounts_costs_a_constant_number_of_queries(
    incident: Incident, morgan: Any, django_assert_max_num_queries: Any
) -> None:
    accounts = [account_create(actor=None, name=f"Client {n}", kind="organisation") for n in range(40)]
    with django_assert_max_num_queries(20) as two:
        incident_accounts_add(incident=incident, actor=morgan, accounts=accounts[:2])
    with django_assert_max_num_queries(len(two.captured_queries)):
        incident_accounts_add(incident=incident, actor=morgan, accounts=accounts[2:])
    assert AffectedAccount.objects.filter(incident=incident).count() == 40
    with django_assert_max_num_queries(len(two.captured_queries) + 2):
        assert incident_drafts_prepare(incident=incident, actor=morgan) == 40


def test_drafts_are_written_in_each_contacts_language(
    incident: Incident,
    morgan: Any,
    dana: Any,
    client_account: Account,
    french_contact: Contact,
    erins_client: Account,
    initech_contact: Contact,
) -> None:
    """GIVEN Globex's contact reads French and Initech's English, with no template of the incident's own
    WHEN the drafts are prepared
    THEN each gets the default wording in its contact's language, with its names, date and advisor."""
    incident_accounts_add(incident=incident, actor=morgan, accounts=[client_account, erins_client])
    assert incident_drafts_prepare(incident=incident, actor=morgan) == 2
    french = _row(incident, client_account)
    english = _row(incident, erins_client)
    assert french.disclosure_state == english.disclosure_state == "drafted"
    assert french.draft.startswith("Bonjour Chloé Martin,")
    assert "Nous avons commis une erreur" in french.draft
    assert "février 2026" in french.draft  # 27 February, written the French way
    assert "dana" in french.draft.lower()  # Globex's advisor signs
    assert english.draft.startswith("Dear Ivy Ng,")
    assert "We made a mistake that affected Initech" in english.draft
    assert "Erin" in english.draft
    # A draft already written (perhaps edited) is kept when drafts are prepared again.
    affected_draft_update(affected=french, actor=morgan, draft="Edited by hand.")
    assert incident_drafts_prepare(incident=incident, actor=morgan) == 0
    assert _row(incident, client_account).draft == "Edited by hand."


def test_an_incidents_own_template_renders_plain_text_from_the_safe_context(
    clock: Any, morgan: Any, client_account: Account, french_contact: Contact
) -> None:
    template = (
        "{{ contact_name }} at {{ account_name }}: {{ incident_title|upper }}."
        "{% if consequence %} For you: {{ consequence }}{% endif %} {{ secret_key }}{{ settings }}"
    )
    incident = _incident(morgan, disclosure_template=template)
    incident_accounts_add(
        incident=incident, actor=morgan, accounts=[client_account], consequence='€120 > "twice" & late'
    )
    incident_drafts_prepare(incident=incident, actor=morgan)
    assert _row(incident, client_account).draft == (
        'Chloé Martin at Globex SA: INVOICES CHARGED TWICE. For you: €120 > "twice" & late'
    )


@pytest.mark.parametrize(
    "template",
    [
        "{% load static %}{% static 'x.css' %}",
        "Hello {% include 'relationships/incident.html' %}",
        "{% extends 'web/base.html' %}",
        "{% debug %}",
        "{% for c in contact_name %}{{ c }}{% endfor %}",
        '{{ contact_name|ljust:"100000000" }}',
        "{% if %}",
    ],
)
def test_a_template_that_loads_includes_or_uses_unknown_tags_is_refused(clock: Any, morgan: Any, template: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        _incident(morgan, disclosure_template=template)
    assert refused.value.field == "disclosure_template"
    assert not Incident.objects.exists()


def test_the_refusal_names_the_tag_and_says_why(clock: Any, morgan: Any, incident: Incident) -> None:
    with pytest.raises(ApplicationError) as refused:
        incident_update(incident=incident, actor=morgan, disclosure_template="{% load i18n %}Hi")
    assert "{% load %}" in refused.value.message
    assert "may not load libraries or include files" in refused.value.message
    with pytest.raises(ApplicationError) as include:
        incident_update(incident=incident, actor=morgan, disclosure_template="{% include 'a.html' %}")
    assert "{% include %}" in include.value.message


def test_the_renderer_sees_only_the_context_it_is_given() -> None:
    context = DisclosureContext(
        account_name="<Globex>",
        contact_name="Chloé",
        advisor_name="Dana",
        incident_title="T",
        incident_what="W",
        incident_impact="I",
        occurred_at="today",
        consequence="",
    )
    text = "{{ account_name }}|{{ request }}|{{ user }}|{{ csrf_token }}|{% firstof consequence 'none' %}"
    assert disclosure_render(text, context) == "<Globex>||||none"


def test_told_and_remedied_accounts_and_the_fully_disclosed_rule(
    incident: Incident, morgan: Any, client_account: Account, erins_client: Account, customer: Account
) -> None:
    """GIVEN an incident touching two clients and a customer
    WHEN both clients are told (the customer is not)
    THEN it is fully disclosed: only client accounts must be told; until then the untold clients are counted."""
    incident_accounts_add(incident=incident, actor=morgan, accounts=[client_account, erins_client, customer])
    log: Any = incidents_log(user=morgan).get(pk=incident.pk)
    assert (log.affected_count, log.told_count, log.clients_untold) == (3, 0, 2)
    told = affected_mark_told(affected=_row(incident, client_account), actor=morgan, via="call")
    assert (told.disclosure_state, told.told_via, told.told_by, told.told_at) == ("told", "call", morgan, NOW)
    assert not incident_detail(user=morgan, incident_id=incident.pk).fully_disclosed
    affected_mark_told(
        affected=_row(incident, erins_client), actor=morgan, via="email", told_at=NOW - timedelta(hours=2)
    )
    assert incident_detail(user=morgan, incident_id=incident.pk).fully_disclosed
    with pytest.raises(ApplicationError) as twice:
        affected_mark_told(affected=_row(incident, erins_client), actor=morgan, via="email")
    assert twice.value.status == 409
    remedied = affected_remedy_record(affected=_row(incident, client_account), actor=morgan, remedy="Refunded.")
    assert (remedied.remedy, remedied.remedied_at) == ("Refunded.", NOW)
    log = incidents_log(user=morgan).get(pk=incident.pk)
    assert (log.affected_count, log.told_count, log.remedied_count, log.clients_untold) == (3, 2, 1, 0)
    actions = set(events_for(subject_kind="account", subject_id=client_account.pk).values_list("action", flat=True))
    assert {"incident_linked", "incident_disclosed", "incident_remedied"} <= actions


def test_resolving_is_recorded_on_every_affected_account(
    incident: Incident, morgan: Any, client_account: Account
) -> None:
    incident_accounts_add(incident=incident, actor=morgan, accounts=[client_account])
    resolved = incident_update(incident=incident, actor=morgan, status="resolved", version=incident.version)
    assert (resolved.status, resolved.resolved_at) == ("resolved", NOW)
    event: Any = events_for(subject_kind="account", subject_id=client_account.pk).get(action="incident_resolved")
    assert (event.old_value["status"], event.new_value["status"]) == ("open", "resolved")
    with pytest.raises(ApplicationError) as stale:
        incident_update(incident=incident, actor=morgan, title="x", version=1)
    assert stale.value.status == 409


def test_an_incident_cannot_be_found_before_it_happened(clock: Any, morgan: Any) -> None:
    with pytest.raises(ApplicationError) as refused:
        _incident(morgan, discovered_at=NOW - timedelta(days=5))
    assert refused.value.field == "discovered_at"


def test_the_log_filters_by_status_and_period(clock: Any, morgan: Any) -> None:
    old = _incident(morgan, title="Old", occurred_at=NOW - timedelta(days=40), discovered_at=NOW - timedelta(days=39))
    recent = _incident(morgan, title="Recent")
    incident_update(incident=old, actor=morgan, status="resolved")
    assert list(incidents_log(user=morgan, filters=IncidentFilters(status="open"))) == [recent]
    period = IncidentFilters(occurred_after=NOW - timedelta(days=50), occurred_before=NOW - timedelta(days=30))
    assert list(incidents_log(user=morgan, filters=period)) == [old]


# --- who may see and do what ---------------------------------------------------------------------


def test_advisors_see_incidents_touching_their_accounts_read_only(
    incident: Incident, morgan: Any, dana: Any, erin: Any, client_account: Account, erins_client: Account
) -> None:
    incident_accounts_add(incident=incident, actor=morgan, accounts=[client_account, erins_client])
    only_erins = _incident(morgan, title="Erin's only")
    incident_accounts_add(incident=only_erins, actor=morgan, accounts=[erins_client])
    assert list(incidents_log(user=dana)) == [incident]
    assert set(incidents_log(user=erin)) == {incident, only_erins}
    detail = incident_detail(user=dana, incident_id=incident.pk)
    assert [row.account_id for row in detail.affected] == [client_account.pk]  # not Erin's client
    with pytest.raises(ApplicationError) as refused:
        affected_mark_told(affected=_row(incident, client_account), actor=dana, via="call")
    assert refused.value.status == 403
    with pytest.raises(ApplicationError):
        _incident(dana)


def test_the_api_lets_a_manager_run_an_incident_end_to_end(
    api_client: Any, clock: Any, morgan: Any, client_account: Account, french_contact: Contact, customer: Account
) -> None:
    api = api_client(morgan)
    created = api.post(
        BASE,
        {
            "title": "Invoices charged twice",
            "what_happened": "A retry charged the May invoice twice.",
            "occurred_at": (NOW - timedelta(days=2)).isoformat(),
            "discovered_at": (NOW - timedelta(days=1)).isoformat(),
            "severity": "high",
            "owner_id": morgan.pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    incident_id = created.json()["id"]
    linked = api.post(
        f"{BASE}/{incident_id}/accounts",
        {"account_ids": [client_account.pk, customer.pk], "consequence": "Charged twice."},
        content_type="application/json",
    )
    assert linked.status_code == 201, linked.json()
    assert {(row["account_name"], row["client"]) for row in linked.json()} == {
        ("Globex SA", True),
        ("Walk-in Customer", False),
    }
    assert api.post(f"{BASE}/{incident_id}/drafts").json() == {"drafted": 2}
    draft = api.put(
        f"{BASE}/{incident_id}/accounts/{client_account.pk}/draft",
        {"draft": "Bonjour Chloé, nous sommes désolés."},
        content_type="application/json",
    )
    assert (draft.status_code, draft.json()["disclosure_state"]) == (200, "drafted")
    told = api.post(
        f"{BASE}/{incident_id}/accounts/{client_account.pk}/told", {"via": "letter"}, content_type="application/json"
    )
    assert told.status_code == 200, told.json()
    assert (told.json()["told_via"], told.json()["told_by"]["username"]) == ("letter", "morgan")
    remedy = api.post(
        f"{BASE}/{incident_id}/accounts/{client_account.pk}/remedy",
        {"remedy": "Refunded the second charge."},
        content_type="application/json",
    )
    assert remedy.json()["remedied_at"] is not None
    body = api.get(f"{BASE}/{incident_id}").json()
    assert (body["affected_count"], body["told_count"], body["remedied_count"]) == (2, 1, 1)
    assert (body["clients_untold"], body["fully_disclosed"]) == (0, True)
    assert [row["account_id"] for row in api.get(f"{BASE}/{incident_id}/accounts").json()["results"]] == [
        customer.pk,
        client_account.pk,
    ]
    resolved = api.patch(f"{BASE}/{incident_id}", {"status": "resolved"}, content_type="application/json")
    assert resolved.json()["status"] == "resolved"
    assert [row["id"] for row in api.get(f"{BASE}?status=open").json()["results"]] == []


def test_the_api_refuses_an_unsafe_template_with_a_clear_message(
    api_client: Any, incident: Incident, morgan: Any
) -> None:
    refused = api_client(morgan).patch(
        f"{BASE}/{incident.pk}", {"disclosure_template": "{% include 'x.html' %}"}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "disclosure_template"
    assert "{% include %}" in refused.json()["detail"]


def test_the_api_gives_advisors_their_incidents_read_only_and_contacts_nothing(
    api_client: Any,
    portal_user_for: Any,
    incident: Incident,
    morgan: Any,
    dana: Any,
    erin: Any,
    client_account: Account,
    charlie: Contact,
) -> None:
    incident_accounts_add(incident=incident, actor=morgan, accounts=[client_account])
    dana_api, erin_api = api_client(dana), api_client(erin)
    assert [row["id"] for row in dana_api.get(BASE).json()["results"]] == [incident.pk]
    assert dana_api.get(f"{BASE}/{incident.pk}/accounts").status_code == 200
    told = dana_api.post(
        f"{BASE}/{incident.pk}/accounts/{client_account.pk}/told", {"via": "call"}, content_type="application/json"
    )
    assert told.status_code == 403
    assert dana_api.patch(f"{BASE}/{incident.pk}", {"title": "x"}, content_type="application/json").status_code == 403
    assert erin_api.get(BASE).json()["results"] == []
    assert erin_api.get(f"{BASE}/{incident.pk}").status_code == 404
    assert erin_api.post(f"{BASE}/{incident.pk}/drafts").status_code == 404
    charlie_api = api_client(portal_user_for(charlie))
    assert charlie_api.get(BASE).status_code == 403
    assert charlie_api.get(f"{BASE}/{incident.pk}").status_code == 403


def test_the_api_log_pages_at_a_constant_query_count(
    api_client: Any, clock: Any, morgan: Any, client_account: Account, django_assert_max_num_queries: Any
) -> None:
    api = api_client(morgan)
    for n in range(2):
        incident_accounts_add(incident=_incident(morgan, title=f"I{n}"), actor=morgan, accounts=[client_account])
    with django_assert_max_num_queries(30) as small:
        assert len(api.get(BASE).json()["results"]) == 2
    for n in range(2, 55):
        incident_accounts_add(incident=_incident(morgan, title=f"I{n}"), actor=morgan, accounts=[client_account])
    with django_assert_max_num_queries(len(small.captured_queries)):
        first = api.get(BASE).json()
    assert len(first["results"]) == 50
    rest = api.get(first["next"]).json()
    assert len(rest["results"]) == 5


# --- screens -------------------------------------------------------------------------------------


def test_the_log_screen_shows_counts_and_untold_clients_at_a_constant_query_count(
    clock: Any, morgan: Any, client_account: Account, django_assert_max_num_queries: Any
) -> None:
    client = _client(morgan)
    incident_accounts_add(incident=_incident(morgan, title="I0"), actor=morgan, accounts=[client_account])
    with django_assert_max_num_queries(40) as small:
        page = client.get("/relationships/incidents/").content.decode()
    assert "1 client untold" in page
    assert "Record an incident" in page
    for n in range(1, 55):
        _incident(morgan, title=f"I{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get("/relationships/incidents/?status=open").content.decode()
    assert 'rel="next"' in page
    assert "Incidents" in client.get("/relationships/").content.decode()  # the tab, for managers


def test_the_create_screen_records_an_incident_or_shows_the_template_refusal(
    clock: Any, morgan: Any, dana: Any
) -> None:
    client = _client(morgan)
    form = {
        "title": "Invoices charged twice",
        "what_happened": "A retry charged twice.",
        "occurred_at": "2026-03-01T10:00",
        "discovered_at": "2026-03-02T09:00",
        "severity": "high",
        "owner": morgan.pk,
        "disclosure_template": "{% load static %}",
    }
    refused = client.post("/relationships/incidents/new/", form)
    assert refused.status_code == 400
    assert "may not load libraries or include files" in refused.content.decode()
    created = client.post("/relationships/incidents/new/", {**form, "disclosure_template": "Dear {{ contact_name }}"})
    incident = Incident.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/relationships/incidents/{incident.pk}/"
    assert _client(dana).get("/relationships/incidents/new/").status_code == 403


def test_the_incident_screen_links_drafts_tells_and_remedies_in_place(
    incident: Incident,
    morgan: Any,
    client_account: Account,
    french_contact: Contact,
    django_assert_max_num_queries: Any,
) -> None:
    client = _client(morgan)
    linked = client.post(
        f"/relationships/incidents/{incident.pk}/accounts/", {"accounts": f"{client_account.pk}\nNobody Inc"}
    )
    assert linked.status_code == 400 and "No account matches: Nobody Inc" in linked.content.decode()
    client.post(f"/relationships/incidents/{incident.pk}/accounts/", {"accounts": "Globex SA", "consequence": "Twice."})
    client.post(f"/relationships/incidents/{incident.pk}/drafts/")
    page = client.get(f"/relationships/incidents/{incident.pk}/").content.decode()
    assert 'id="untold-warning"' in page and "Bonjour Chloé Martin" in page
    told = client.post(
        f"/relationships/incidents/{incident.pk}/accounts/{client_account.pk}/told/",
        {"via": "meeting", "draft": "Bonjour Chloé, pardon."},
        headers=HTMX,
    )
    assert told.status_code == 200
    row = told.content.decode()
    assert row.lstrip().startswith(f'<tr id="affected-{client_account.pk}"') and "Meeting" in row
    remedied = client.post(
        f"/relationships/incidents/{incident.pk}/accounts/{client_account.pk}/remedy/",
        {"remedy": "Refunded."},
        headers=HTMX,
    )
    assert "Refunded." in remedied.content.decode()
    with django_assert_max_num_queries(40) as few:
        page = client.get(f"/relationships/incidents/{incident.pk}/").content.decode()
    assert 'id="fully-disclosed"' in page and "Bonjour Chloé, pardon." in page
    more = [account_create(actor=None, name=f"Client {n}", kind="organisation") for n in range(10)]
    incident_accounts_add(incident=incident, actor=morgan, accounts=more)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/relationships/incidents/{incident.pk}/")


def test_an_advisor_opens_the_incident_page_without_the_actions(
    incident: Incident, morgan: Any, dana: Any, erin: Any, client_account: Account
) -> None:
    incident_accounts_add(incident=incident, actor=morgan, accounts=[client_account])
    page = _client(dana).get(f"/relationships/incidents/{incident.pk}/")
    assert page.status_code == 200
    assert "Globex SA" in page.content.decode() and "Mark told" not in page.content.decode()
    assert _client(erin).get(f"/relationships/incidents/{incident.pk}/").status_code == 404
    refused = _client(dana).post(
        f"/relationships/incidents/{incident.pk}/accounts/{client_account.pk}/told/", {"via": "call"}
    )
    assert refused.status_code == 403


def test_the_engine_itself_knows_no_include_load_or_debug() -> None:
    """Even text that skipped the check (disclosure_template_clean) cannot include, load or dump anything."""
    from django.template import TemplateSyntaxError

    from carefront.relationships.disclosure import _ENGINE

    for text in ("{% include 'web/base.html' %}", "{% load static %}", "{% debug %}", "{{ x|ljust:'9' }}"):
        with pytest.raises(TemplateSyntaxError):
            _ENGINE.from_string(text)


def test_the_accounts_history_reads_that_it_was_told_of_the_incident(
    incident: Incident, morgan: Any, client_account: Account
) -> None:
    incident_accounts_add(incident=incident, actor=morgan, accounts=[client_account])
    affected_mark_told(affected=_row(incident, client_account), actor=morgan, via="email")
    page = _client(morgan).get(f"/accounts/{client_account.pk}/").content.decode()
    assert "linked the account to an incident" in page
    assert "told the client of an incident" in page
    assert "Invoices charged twice" in page
