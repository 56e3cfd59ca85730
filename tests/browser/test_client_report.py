"""A client's customer-survey report: Dana (Globex's advisor) opens the report of the surveys of Globex's own
customers, sees the figures and the themes, clicks "Download PDF" and gets a real PDF naming Globex, with the
themes the page shows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import account_change_service_model
from carefront.feedback.models import Invitation, InvitationState
from carefront.feedback.services import survey_create
from carefront.feedback.services_answers import response_submit
from carefront.feedback.services_clients import client_campaign_create, customer_list_upload
from carefront.feedback.services_sending import campaign_run
from tests.browser.conftest import CarefrontServer
from tests.browser.helpers import axe_check, login, screenshot

pytestmark = [pytest.mark.browser]

COMMENTS = [
    "The delivery was late and the parcel arrived damaged",
    "Delivery took two weeks, the parcel was late",
    "My parcel delivery was late again",
    "Late delivery, the parcel box was crushed",
    "The courier delivery was very late",
    "Parcel delivery late by three days",
    "The price is too high for what you get",
    "Too expensive, the price went up again",
    "The price increase is too high",
    "Expensive subscription price, too high",
    "The price is high compared to others",
    "Price too expensive this year",
]


@pytest.fixture
def globex_answered(transactional_db: Any, globex: Account, charlie: Contact, dana: Any, morgan: Any) -> Account:
    """Globex, Dana's client, whose 12 customers answered a CSAT survey on its behalf with a delivery or a price
    comment each."""
    client = account_change_service_model(account=globex, actor=morgan, service_model="client", owner=dana, reason="x")
    rows = "".join(f"c-{n},Customer {n},c{n}@example.com,en\n" for n in range(12))
    customer_list_upload(
        client=client, source=io.BytesIO(("external_id,name,email,language\n" + rows).encode()), actor=dana
    )
    survey = survey_create(actor=morgan, kind="csat", name="Customers' CSAT")
    campaign = client_campaign_create(actor=dana, client=client, survey_id=survey.pk, starts_at=timezone.now())
    campaign_run(campaign_id=campaign.pk)
    for index, invitation in enumerate(Invitation.objects.filter(state=InvitationState.SENT).order_by("id")):
        response_submit(invitation=invitation, score=5 if index % 3 else 2, comment=COMMENTS[index])
    return client


def test_the_client_report_downloads_as_a_pdf_with_themes(
    globex_answered: Account, carefront_server: CarefrontServer, page: Page, tmp_path: Path
) -> None:
    login(page, "dana")
    page.goto(f"/accounts/{globex_answered.pk}/")
    page.get_by_role("link", name="Report: response rate, CSAT, NPS and comment themes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customer survey report for Globex SA")
    themes = page.locator(".theme-label")
    expect(themes).to_have_count(2)
    labels = themes.all_inner_texts()
    assert any("delivery" in label for label in labels) and any("price" in label for label in labels)
    expect(page.locator("#figure-answered")).to_have_text("12")
    axe_check(page)
    screenshot(page, "client-survey-report")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename.startswith("globex-sa-survey-report-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Globex SA" in text
    for label in labels:
        assert label.split(", ")[0] in text
