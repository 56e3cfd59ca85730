"""Follow-ups through the API and the screens: managers write rules, staff read them; an advisor lists their own
accounts' follow-ups, a manager all, a portal contact none; lists cost a fixed number of queries; the rules screen
previews a rule for a contact; the unsubscribe link opts out, and a tampered or expired one is refused clearly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carefront.accounts.models import Account, Contact
from carefront.accounts.services import contact_create
from carefront.desk.services import ticket_create
from carefront.relationships.models import FollowUp, FollowUpRule, FollowUpState, OutreachOptOut
from carefront.relationships.services_followups import followup_rule_create, unsubscribe_token
from carefront.relationships.tests.conftest import NOW

pytestmark = pytest.mark.django_db

TEMPLATES = {"en": {"subject": "Welcome {{ contact_name }}", "body": "Thank you for {{ order_number }}."}}


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rule(db: Any) -> FollowUpRule:
    return followup_rule_create(actor=None, name="Welcome", event="first_order", templates=TEMPLATES)


def _followups(rule: FollowUpRule, contacts: list[Contact], count: int = 1) -> None:
    rows = [
        FollowUp(
            rule=rule,
            account=contact.account,
            contact=contact,
            event_key=f"order:{contact.pk}-{n}",
            scheduled_at=NOW,
            state=FollowUpState.SKIPPED if n % 2 else FollowUpState.SCHEDULED,
            skip_reason="quiet_period" if n % 2 else "",
        )
        for contact in contacts
        for n in range(count)
    ]
    FollowUp.objects.bulk_create(rows)


def test_a_manager_writes_rules_and_others_only_read_them(
    api_client: Any, morgan: Any, dana: Any, alice: Any, clock: Any
) -> None:
    manager = api_client(morgan)
    payload = {
        "name": "Third order",
        "event": "nth_order",
        "order_count": 3,
        "delay_minutes": 1440,
        "audience": "clients",
        "templates": {"en": {"subject": "Thank you", "body": "Three orders, {{ contact_name }}!"}},
    }
    created = manager.post("/api/v1/relationships/follow-up-rules", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["event"], body["order_count"], body["templates"]["en"]["subject"]) == ("nth_order", 3, "Thank you")
    rule_id = body["id"]
    refused = api_client(dana).post("/api/v1/relationships/follow-up-rules", payload, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["detail"]
    assert api_client(alice).get(f"/api/v1/relationships/follow-up-rules/{rule_id}").status_code == 200
    bad = manager.patch(
        f"/api/v1/relationships/follow-up-rules/{rule_id}",
        {"templates": {"en": {"subject": "Hi", "body": "{% include 'x.html' %}"}}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "is not allowed" in bad.json()["detail"]
    assert FollowUpRule.objects.get(pk=rule_id).templates == payload["templates"]
    changed = manager.patch(
        f"/api/v1/relationships/follow-up-rules/{rule_id}",
        {"event": "first_order", "order_count": None, "version": 1},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["event"], changed.json()["order_count"]) == ("first_order", None)
    gone = manager.delete(f"/api/v1/relationships/follow-up-rules/{rule_id}")
    assert gone.status_code == 200 and gone.json()["is_active"] is False


def test_an_advisor_lists_their_own_accounts_follow_ups_and_a_manager_all(
    api_client: Any,
    rule: FollowUpRule,
    client_account: Account,
    erins_client: Account,
    initech_contact: Contact,
    dana: Any,
    morgan: Any,
    django_assert_max_num_queries: Any,
) -> None:
    gina = contact_create(actor=None, account=client_account, name="Gina", email="gina@globex.example")
    _followups(rule, [gina, initech_contact], count=30)
    with django_assert_max_num_queries(8):
        mine = api_client(dana).get("/api/v1/relationships/follow-ups?page_size=100")
    assert mine.status_code == 200
    assert {row["contact_id"] for row in mine.json()["results"]} == {gina.pk}
    assert len(mine.json()["results"]) == 30
    everyone = api_client(morgan).get(f"/api/v1/relationships/follow-ups?state=skipped&rule={rule.pk}")
    assert {row["skip_reason"] for row in everyone.json()["results"]} == {"quiet_period"}
    assert len(everyone.json()["results"]) == 30
    paged = api_client(morgan).get("/api/v1/relationships/follow-ups?page_size=50")
    assert paged.json()["next"]


def test_a_portal_contact_sees_no_follow_ups(
    api_client: Any, portal_user_for: Any, rule: FollowUpRule, carol: Contact
) -> None:
    _followups(rule, [carol])
    portal = api_client(portal_user_for(carol))
    assert portal.get("/api/v1/relationships/follow-ups").status_code == 403
    assert portal.get("/api/v1/relationships/follow-up-rules").status_code == 403


def test_staff_set_and_lift_a_contacts_opt_out(api_client: Any, morgan: Any, alice: Any, carol: Contact) -> None:
    url = f"/api/v1/relationships/contacts/{carol.pk}/outreach-opt-out"
    assert api_client(alice).put(url).status_code == 403  # an agent is not the account's manager
    set_ = api_client(morgan).put(url)
    assert set_.status_code == 200 and set_.json()["opted_out"] is True and set_.json()["source"] == "staff"
    assert api_client(morgan).delete(url).json()["opted_out"] is False
    assert not OutreachOptOut.objects.exists()


def test_the_rules_screen_saves_previews_and_refuses_a_bad_template(
    morgan: Any, dana: Any, carol: Contact, django_assert_max_num_queries: Any
) -> None:
    client = _login(morgan)
    form = {
        "name": "Fixed?",
        "event": "ticket_solved",
        "delay_minutes": "60",
        "audience": "both",
        "is_active": "on",
        "subject_en": "Did this fix it?",
        "body_en": "{% load static %}",
    }
    refused = client.post(reverse("web:settings-follow-up-new"), form)
    assert refused.status_code == 400
    assert "is not allowed" in refused.content.decode()
    assert not FollowUpRule.objects.exists()
    form["body_en"] = "Hello {{ contact_name }}, about #{{ ticket_number }}: {{ ticket_subject }}."
    saved = client.post(reverse("web:settings-follow-up-new"), form)
    rule = FollowUpRule.objects.get()
    assert saved.status_code == 302
    ticket_create(actor=None, requester=carol, subject="Parcel never arrived", body="x")
    preview = client.get(reverse("web:settings-follow-up", args=[rule.pk]), {"contact": carol.pk})
    text = preview.content.decode()
    assert "Hello Carol Jones, about #" in text and "Parcel never arrived" in text
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:settings-follow-ups")).status_code == 200
    assert _login(dana).get(reverse("web:settings-follow-ups")).status_code == 403
    deactivated = client.post(reverse("web:settings-follow-up-deactivate", args=[rule.pk]))
    assert deactivated.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False


def test_the_follow_ups_page_lists_a_page_in_fixed_queries(
    morgan: Any, rule: FollowUpRule, carol: Contact, django_assert_max_num_queries: Any
) -> None:
    _followups(rule, [carol], count=60)
    client = _login(morgan)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("web:relationships-follow-ups"), {"state": "skipped"})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('id="follow-up-') == 30
    assert "Another follow-up went out within the quiet period" in text


def test_the_unsubscribe_link_asks_then_opts_out_and_refuses_a_bad_or_old_link(carol: Contact, clock: Any) -> None:
    url = reverse("web:relationships-unsubscribe", args=[unsubscribe_token(carol)])
    client = Client()
    asked = client.get(url)
    assert asked.status_code == 200 and "carol@acme.example" in asked.content.decode()
    assert not OutreachOptOut.objects.exists()  # opening the link (a mail scanner) changes nothing
    done = client.post(url)
    assert done.status_code == 200
    assert OutreachOptOut.objects.get(contact=carol).source == "link"
    tampered = unsubscribe_token(carol)[:-2] + "xx"
    bad = client.post(reverse("web:relationships-unsubscribe", args=[tampered]))
    assert bad.status_code == 400 and "not valid" in bad.content.decode()
    old = reverse("web:relationships-unsubscribe", args=[unsubscribe_token(carol)])
    clock.move_to(NOW + timedelta(days=366))
    expired = client.get(old)
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_the_account_page_shows_recent_follow_ups_and_staff_stop_outreach_to_a_contact(
    morgan: Any, alice: Any, rule: FollowUpRule, carol: Contact
) -> None:
    _followups(rule, [carol], count=2)
    client = _login(morgan)
    page = client.get(reverse("web:account", args=[carol.account_id]))
    text = page.content.decode()
    assert 'id="follow-ups-card"' in text and "Another follow-up went out within the quiet period" in text
    stopped = client.post(reverse("web:relationships-contact-outreach", args=[carol.pk]), {"opt_out": "1"})
    assert stopped.status_code == 302
    assert OutreachOptOut.objects.get(contact=carol).source == "staff"
    assert "No outreach email" in client.get(reverse("web:account", args=[carol.account_id])).content.decode()
    # An agent who does not manage the account is refused, and the mark stays.
    _login(alice).post(reverse("web:relationships-contact-outreach", args=[carol.pk]), {"opt_out": "0"})
    assert OutreachOptOut.objects.filter(contact=carol).exists()
    client.post(reverse("web:relationships-contact-outreach", args=[carol.pk]), {"opt_out": "0"})
    assert not OutreachOptOut.objects.exists()
