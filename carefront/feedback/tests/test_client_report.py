"""The report for a client on its customers' surveys: the confidence intervals against hand-computed values, the
themes of a hand-made set of comments, the figures end to end, the page (access, query count) and the PDF."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from carefront.accounts.models import Account
from carefront.feedback.models import Invitation, InvitationState, Survey
from carefront.feedback.selectors_clients import client_report
from carefront.feedback.services_answers import response_submit
from carefront.feedback.services_clients import client_campaign_create, customer_list_upload
from carefront.feedback.services_sending import campaigns_run
from carefront.feedback.stats import csat_interval, nps_interval
from carefront.feedback.tests.conftest import NOW, customer_csv
from carefront.feedback.themes import MIN_COMMENTS, Comment, themes_find

DELIVERY = [
    "The delivery was late and the parcel arrived damaged",
    "Delivery took two weeks, the parcel was late",
    "My parcel delivery was late again",
    "Late delivery, the parcel box was crushed",
    "The courier delivery was very late",
    "Parcel delivery late by three days",
]
PRICE = [
    "The price is too high for what you get",
    "Too expensive, the price went up again",
    "The price increase is too high",
    "Expensive subscription price, too high",
    "The price is high compared to others",
    "Price too expensive this year",
]


def test_csat_interval_is_the_wilson_score_interval() -> None:
    # 8 of 10 satisfied: Wilson's 95 % interval, computed by hand with z = 1.959964, is 49.02 %–94.33 %.
    interval = csat_interval(satisfied=8, answers=10)
    assert interval is not None
    assert interval.value == pytest.approx(80.0)
    assert interval.low == pytest.approx(49.016, abs=0.01)
    assert interval.high == pytest.approx(94.332, abs=0.01)
    # At 100 % the interval stays below 100 % and above the normal interval's nonsense.
    full = csat_interval(satisfied=5, answers=5)
    assert full is not None and full.high == pytest.approx(100.0) and full.low == pytest.approx(56.55, abs=0.01)
    assert csat_interval(satisfied=0, answers=0) is None


def test_nps_interval_is_the_normal_interval_of_the_mean_score() -> None:
    # 5 promoters, 2 detractors of 10: NPS 30; SE = sqrt((0.5 + 0.2 − 0.3²) / 10) = 0.24698; ± 1.96·SE = 48.41.
    interval = nps_interval(promoters=5, detractors=2, answers=10)
    assert interval is not None
    assert interval.value == pytest.approx(30.0)
    assert interval.low == pytest.approx(-18.41, abs=0.01)
    assert interval.high == pytest.approx(78.41, abs=0.01)
    # Everyone a promoter: no spread, and never above +100.
    everyone = nps_interval(promoters=4, detractors=0, answers=4)
    assert everyone is not None and (everyone.low, everyone.high) == (100.0, 100.0)
    assert nps_interval(promoters=0, detractors=0, answers=0) is None


def test_themes_put_each_comment_with_its_topic() -> None:
    comments = [Comment(id=i, text=text, language="en", score=3) for i, text in enumerate(DELIVERY + PRICE)]
    (english,) = themes_find(comments)
    assert english.enough and len(english.themes) == 2
    groups = {frozenset(theme.comment_ids) for theme in english.themes}
    assert groups == {frozenset(range(6)), frozenset(range(6, 12))}
    labels = {theme.comment_ids[0] < 6: theme.terms for theme in english.themes}
    assert "delivery" in labels[True] and "price" in labels[False]
    # English stop words are left out of the labels.
    assert not {"the", "was", "is"} & {term for theme in english.themes for term in theme.terms}
    # The same comments, the same themes.
    assert [t.comment_ids for t in themes_find(comments)[0].themes] == [t.comment_ids for t in english.themes]


def test_too_few_comments_find_no_themes() -> None:
    comments = [Comment(id=i, text=text, language="fr", score=3) for i, text in enumerate(DELIVERY[:4])]
    assert len(comments) < MIN_COMMENTS
    (french,) = themes_find(comments)
    assert (french.enough, french.themes, french.comments) == (False, [], 4)
    assert themes_find([]) == []


@pytest.fixture
def answered(
    globex_client: Account, dana: Any, csat_for_clients: Survey, run: Callable[..., Any], clock: Any
) -> Account:
    """Globex's 14 customers asked CSAT; 12 answered (10 satisfied), with a delivery or a price comment each."""
    rows = [f"c-{n},Customer {n},c{n}@example.com,en" for n in range(14)]
    customer_list_upload(client=globex_client, source=customer_csv(*rows), actor=dana)
    client_campaign_create(actor=dana, client=globex_client, survey_id=csat_for_clients.pk, starts_at=NOW)
    run(campaigns_run, now=NOW)
    invitations = list(Invitation.objects.filter(state=InvitationState.SENT).order_by("id"))
    assert len(invitations) == 14
    comments = DELIVERY + PRICE
    for index, invitation in enumerate(invitations[:12]):
        score = 2 if index in (0, 6) else 5
        response_submit(invitation=invitation, score=score, comment=comments[index], now=NOW + timedelta(hours=1))
    return globex_client


def test_the_report_counts_the_clients_customers_answers(answered: Account) -> None:
    report = client_report(client=answered)
    assert (report.customers, report.sent, report.answered) == (14, 14, 12)
    assert report.response_rate == pytest.approx(100 * 12 / 14)
    assert report.csat is not None and report.csat.value == pytest.approx(100 * 10 / 12)
    assert report.csat.count == 12 and report.nps is None
    assert [(m.month.isoformat(), m.sent, m.answered, m.satisfied) for m in report.months] == [
        ("2026-03-01", 14, 12, 10)
    ]
    (english,) = report.themes
    assert len(english.themes) == 2 and report.has_themes


def test_the_report_page_shows_figures_and_themes_in_few_queries(
    answered: Account, dana: Any, client: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(dana)
    with django_assert_max_num_queries(12):
        page = client.get(f"/feedback/clients/{answered.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Globex SA" in html and 'id="download-pdf"' in html
    assert "83.3 %" in html  # CSAT 10 of 12
    assert html.count('class="theme-label"') == 2


def test_the_report_pdf_is_a_pdf_with_the_clients_name_and_themes(answered: Account, dana: Any, client: Any) -> None:
    client.force_login(dana)
    response = client.get(f"/feedback/clients/{answered.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="globex-sa-survey-report-')
    assert response.content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Globex SA" in text
    assert "delivery" in text and "price" in text
    assert "Wilson" in text


def test_only_the_clients_advisor_and_managers_see_the_report(
    answered: Account, client: Any, morgan: Any, alice: Any, charlie: Any, portal_user_for: Any
) -> None:
    from carefront.core.models import Role
    from carefront.core.services import staff_create

    erin = staff_create(username="erin", email="erin@carefront.example", role=Role.ADVISOR, first_name="Erin")
    for user, status in ((morgan, 200), (erin, 404), (alice, 404), (portal_user_for(charlie), 403)):
        client.force_login(user)
        assert client.get(f"/feedback/clients/{answered.pk}/").status_code == status, user
        assert client.get(f"/feedback/clients/{answered.pk}/report.pdf").status_code == status, user
    client.logout()
    assert client.get(f"/feedback/clients/{answered.pk}/").status_code == 302


def test_a_customer_account_has_no_client_report(acme: Account, morgan: Any, client: Any) -> None:
    client.force_login(morgan)
    assert client.get(f"/feedback/clients/{acme.pk}/").status_code == 404


def test_the_report_covers_the_days_asked_for_on_the_page_and_in_its_pdf(
    answered: Account, dana: Any, client: Any
) -> None:
    """The surveys were sent on NOW's day: a period that ends the day before has none, one that holds the day has
    them all, and the PDF's link carries the period; a period that ends before it starts is refused with the form."""
    client.force_login(dana)
    day = timezone.localtime(NOW).date()
    before = client.get(f"/feedback/clients/{answered.pk}/", {"since": "2020-01-01", "until": str(day - timedelta(1))})
    assert before.status_code == 200
    assert before.context["report"].sent == 0 and before.context["report"].answered == 0
    holding = client.get(f"/feedback/clients/{answered.pk}/", {"since": str(day), "until": str(day)})
    report = holding.context["report"]
    assert (report.sent, report.answered, report.first_day, report.last_day) == (14, 12, day, day)
    html = holding.content.decode()
    assert f"report.pdf?since={day}&amp;until={day}" in html and 'id="report-days"' in html
    pdf = client.get(f"/feedback/clients/{answered.pk}/report.pdf", {"until": str(day - timedelta(1))})
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert pdf.status_code == 200 and "83.3" not in text and "Surveys sent up to" in text
    wrong = client.get(f"/feedback/clients/{answered.pk}/", {"since": str(day), "until": str(day - timedelta(1))})
    assert wrong.status_code == 422
    assert "The end of the period comes before its start." in wrong.content.decode()
    assert wrong.context["report"].sent == 14  # the report stays whole beside the error
    assert client.get(f"/feedback/clients/{answered.pk}/report.pdf", {"since": "not a day"}).status_code == 422
