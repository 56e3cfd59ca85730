"""The API and the workspace forms of the surveys of a client's customers: the list upload (all or nothing, errors
by row and column), a campaign on the client's behalf with the list as a dependency of an engagement, the report as
JSON and PDF; the client's advisor and managers only (another advisor 404, a portal token 403)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from carefront.accounts.models import Account
from carefront.core.models import Role
from carefront.core.services import staff_create
from carefront.feedback.models import Campaign, Survey
from carefront.feedback.tests.conftest import NOW
from carefront.relationships.models import DependencyState
from carefront.relationships.services import engagement_create

pytestmark = pytest.mark.django_db
BASE = "/api/v1/feedback/clients"
GOOD = b"external_id,name,email,language\nc-1,Ana Lima,ana@example.com,en\nc-2,Jean Roux,jean@example.com,fr\n"
BAD = b"external_id,name,email,language\nc-1,,ana@example.com,en\nc-2,Jean,jean@,xx-not-a-language-code\n"


def _file(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("customers.csv", content, content_type="text/csv")


def test_the_api_uploads_the_list_all_or_nothing(globex_client: Account, dana: Any, api_client: Any) -> None:
    api = api_client(dana)
    refused = api.post(f"{BASE}/{globex_client.pk}/customers", {"file": _file(BAD)})
    assert refused.status_code == 400
    body = refused.json()
    assert body["field"] == "file" and "Row 2" in body["detail"]
    assert {(error["row"], error["column"]) for error in body["errors"]} == {(2, "name"), (3, "email"), (3, "language")}
    assert not Account.objects.filter(served_for=globex_client).exists()
    done = api.post(f"{BASE}/{globex_client.pk}/customers", {"file": _file(GOOD)})
    assert done.status_code == 200
    assert done.json() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "received_dependency_ids": []}
    assert Account.objects.filter(served_for=globex_client).count() == 2


def test_the_api_creates_a_campaign_waiting_on_the_list_and_the_upload_receives_it(
    globex_client: Account, dana: Any, api_client: Any, csat_for_clients: Survey
) -> None:
    engagement = engagement_create(
        actor=dana,
        account=globex_client,
        kind="survey",
        title="Customer survey",
        owner=dana,
        starts_at=NOW,
        due_at=NOW + timedelta(days=30),
        status="active",
    )
    api = api_client(dana)
    created = api.post(
        f"{BASE}/{globex_client.pk}/campaigns",
        {"survey_id": csat_for_clients.pk, "starts_at": "2026-03-09T09:00:00Z", "engagement_id": engagement.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["trigger"], body["client_id"]) == ("client_customers", globex_client.pk)
    assert body["dependency_id"] is not None
    uploaded = api.post(f"{BASE}/{globex_client.pk}/customers", {"file": _file(GOOD)})
    assert uploaded.json()["received_dependency_ids"] == [body["dependency_id"]]
    campaign = Campaign.objects.select_related("dependency").get(pk=body["id"])
    assert campaign.dependency is not None and campaign.dependency.state == DependencyState.RECEIVED
    # An NPS or CSAT survey only; an unknown field is refused.
    ces = Survey.objects.create(kind="ces", name="Effort")
    refused = api.post(
        f"{BASE}/{globex_client.pk}/campaigns",
        {"survey_id": ces.pk, "starts_at": "2026-03-09T09:00:00Z"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["field"] == "survey_id"


def test_the_api_report_and_pdf(globex_client: Account, morgan: Any, api_client: Any) -> None:
    api = api_client(morgan)
    report = api.get(f"{BASE}/{globex_client.pk}/report")
    assert report.status_code == 200
    body = report.json()
    assert (body["client_name"], body["sent"], body["csat"], body["themes"]) == ("Globex SA", 0, None, [])
    pdf = api.get(f"{BASE}/{globex_client.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    reversed_period = api.get(f"{BASE}/{globex_client.pk}/report?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z")
    assert reversed_period.status_code == 400
    assert "must come after its start" in reversed_period.content.decode()


def test_another_advisor_gets_404_and_a_portal_token_403(
    globex_client: Account, api_client: Any, charlie: Any, portal_user_for: Any
) -> None:
    erin = staff_create(username="erin", email="erin@carefront.example", role=Role.ADVISOR, first_name="Erin")
    for path in ("report", "report.pdf"):
        assert api_client(erin).get(f"{BASE}/{globex_client.pk}/{path}").status_code == 404
        assert api_client(portal_user_for(charlie)).get(f"{BASE}/{globex_client.pk}/{path}").status_code == 403
    assert api_client(erin).post(f"{BASE}/{globex_client.pk}/customers", {"file": _file(GOOD)}).status_code == 404
    assert not Account.objects.filter(served_for=globex_client).exists()


def test_the_page_forms_upload_the_list_and_create_a_campaign(
    globex_client: Account, dana: Any, client: Any, csat_for_clients: Survey
) -> None:
    client.force_login(dana)
    account_page = client.get(f"/accounts/{globex_client.pk}/")
    assert 'id="client-customers-card"' in account_page.content.decode()
    refused = client.post(f"/feedback/clients/{globex_client.pk}/customers/", {"file": _file(BAD)})
    assert refused.status_code == 400
    assert "Row 2, column name" in refused.content.decode()
    done = client.post(f"/feedback/clients/{globex_client.pk}/customers/", {"file": _file(GOOD)})
    assert done.status_code == 302
    assert Account.objects.filter(served_for=globex_client).count() == 2
    created = client.post(
        f"/feedback/clients/{globex_client.pk}/campaigns/",
        {"survey": csat_for_clients.pk, "starts_on": "2026-03-09", "name": ""},
    )
    assert created.status_code == 302
    campaign = Campaign.objects.get(client=globex_client)
    assert campaign.name == "CSAT survey for Globex SA" and campaign.starts_at is not None
    page = client.get(f"/feedback/clients/{globex_client.pk}/")
    assert "CSAT survey for Globex SA" in page.content.decode()


def test_a_managers_settings_edit_a_client_campaigns_name_and_state(
    globex_client: Account, morgan: Any, client: Any, csat_for_clients: Survey
) -> None:
    from carefront.feedback.services_clients import client_campaign_create

    campaign = client_campaign_create(actor=morgan, client=globex_client, survey_id=csat_for_clients.pk, starts_at=NOW)
    client.force_login(morgan)
    assert client.get(f"/settings/surveys/campaigns/{campaign.pk}/").status_code == 200
    saved = client.post(
        f"/settings/surveys/campaigns/{campaign.pk}/",
        {"name": "Globex customers, spring", "starts_on": "2026-03-02", "starts_time": "09:00"},
    )
    assert saved.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.is_active, campaign.trigger) == (
        "Globex customers, spring",
        False,
        "client_customers",
    )
