"""The client profile's services and selectors: field definitions and values checked at the boundary (unknown key,
wrong type, a choice not offered: refused, naming the field, nothing stored lost), preferences, goals (open →
achieved / abandoned), key people (a contact of the account only), the services bought, who may write, and the
set-based reads of goals due and renewals."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest

from carefront.accounts.models import Account, Contact
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event
from carefront.relationships.models import ClientGoal, ClientProfile, ClientService, KeyPerson, ProfileField
from carefront.relationships.selectors_profile import goals_due_within, services_renewing_within
from carefront.relationships.services_profile import (
    client_service_create,
    client_service_update,
    goal_abandon,
    goal_achieve,
    goal_create,
    goal_update,
    key_person_add,
    key_person_remove,
    key_person_update,
    profile_field_create,
    profile_field_update,
    profile_update,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)


@pytest.fixture
def fields(morgan: Any) -> dict[str, ProfileField]:
    return {
        "budget": profile_field_create(actor=morgan, key="budget", label="Yearly budget", kind="number"),
        "tier": profile_field_create(
            actor=morgan, key="tier", label="Support tier", kind="choice", choices=["Gold", "Silver"]
        ),
        "renewal_review": profile_field_create(actor=morgan, key="renewal_review", label="Review on", kind="date"),
        "newsletter": profile_field_create(actor=morgan, key="newsletter", label="Newsletter", kind="yes_no"),
        "hobby": profile_field_create(actor=morgan, key="hobby", label="Hobby", kind="text"),
    }


def _refused(call: Any, **kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(**kwargs)
    return caught.value


# --- field definitions and values ----------------------------------------------------------------


def test_values_of_each_type_are_stored_as_defined(
    client_account: Account, dana: Any, fields: dict[str, ProfileField]
) -> None:
    profile = profile_update(
        account=client_account,
        actor=dana,
        fields={
            "budget": "120000.50",
            "tier": "Gold",
            "renewal_review": "2026-09-30",
            "newsletter": False,
            "hobby": " Sailing ",
        },
    )
    assert profile.fields == {
        "budget": 120000.5,
        "tier": "Gold",
        "renewal_review": "2026-09-30",
        "newsletter": False,
        "hobby": "Sailing",
    }
    assert profile.version == 2  # made at 1 by the first edit, then changed
    event: Any = Event.objects.get(subject_kind="account", subject_id=client_account.pk, action="profile_updated")
    assert event.new_value["fields"]["tier"] == "Gold"


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"shoe_size": 42}, "shoe_size", "“shoe_size” is not a profile field"),
        ({"budget": "a lot"}, "budget", "Yearly budget: enter a number"),
        ({"budget": True}, "budget", "Yearly budget: enter a number"),
        ({"tier": "Platinum"}, "tier", "Support tier: “Platinum” is not one of: Gold, Silver"),
        ({"renewal_review": "next spring"}, "renewal_review", "Review on: “next spring” is not a date"),
        ({"newsletter": "maybe"}, "newsletter", "Newsletter: answer yes or no"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_nothing_stored_is_lost(
    client_account: Account, dana: Any, fields: dict[str, ProfileField], values: Any, field: str, words: str
) -> None:
    profile_update(account=client_account, actor=dana, fields={"hobby": "Sailing"}, meeting_notes="Mornings")
    error = _refused(profile_update, account=client_account, actor=dana, fields={"tier": "Gold", **values})
    assert (error.field, error.status) == (field, 400)
    assert words in error.message
    stored = ClientProfile.objects.get(account=client_account)
    assert (stored.fields, stored.meeting_notes, stored.version) == ({"hobby": "Sailing"}, "Mornings", 2)


def test_values_merge_a_null_clears_one_and_a_retired_field_keeps_its_value(
    client_account: Account, dana: Any, morgan: Any, fields: dict[str, ProfileField]
) -> None:
    profile_update(account=client_account, actor=dana, fields={"hobby": "Sailing", "tier": "Silver"})
    profile = profile_update(account=client_account, actor=dana, fields={"budget": 10, "hobby": None})
    assert profile.fields == {"tier": "Silver", "budget": 10}
    # The business retires "tier" and no longer offers Silver: the value stays, and can only be cleared.
    profile_field_update(field=fields["tier"], actor=morgan, choices=["Gold"], active=False)
    profile = profile_update(account=client_account, actor=dana, fields={"budget": 11})
    assert profile.fields == {"tier": "Silver", "budget": 11}
    error = _refused(profile_update, account=client_account, actor=dana, fields={"tier": "Gold"})
    assert (error.field, "no longer in use" in error.message) == ("tier", True)
    assert profile_update(account=client_account, actor=dana, fields={"tier": None}).fields == {"budget": 11}


def test_only_managers_define_fields_whose_key_and_type_never_change(
    dana: Any, morgan: Any, fields: dict[str, ProfileField]
) -> None:
    assert _refused(profile_field_create, actor=dana, key="x", label="X", kind="text").status == 403
    assert _refused(profile_field_create, actor=morgan, key="budget", label="Again", kind="text").status == 409
    assert _refused(profile_field_create, actor=morgan, key="Bad Key", label="X", kind="text").field == "key"
    assert _refused(profile_field_create, actor=morgan, key="size", label="Size", kind="choice").field == "choices"
    assert _refused(profile_field_update, field=fields["budget"], actor=morgan, kind="text").field == "kind"
    changed = profile_field_update(field=fields["budget"], actor=morgan, label="Budget (EUR)", position=3, version=1)
    assert (changed.label, changed.position, changed.version) == ("Budget (EUR)", 3, 2)
    assert _refused(profile_field_update, field=fields["budget"], actor=morgan, label="Old", version=1).status == 409


# --- preferences ---------------------------------------------------------------------------------


def test_preferences_are_checked_and_kept_at_account_level(client_account: Account, dana: Any) -> None:
    profile = profile_update(
        account=client_account,
        actor=dana,
        preferred_channel="video",
        preferred_language="fr-FR",
        meeting_days="31",
        meeting_from=time(9, 30),
        meeting_until=time(11),
        meeting_notes="Never on the first Monday of the month.",
    )
    assert (profile.meeting_days, profile.meeting_from, profile.preferred_channel) == ("13", time(9, 30), "video")
    for changes, field in (
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"preferred_language": "French!"}, "preferred_language"),
        ({"meeting_days": "8"}, "meeting_days"),
        ({"meeting_until": time(9)}, "meeting_until"),
        ({"meeting_from": None}, "meeting_until"),
        ({"colour": "blue"}, "colour"),
    ):
        assert _refused(profile_update, account=client_account, actor=dana, **changes).field == field
    assert ClientProfile.objects.get(account=client_account).meeting_until == time(11)
    stale = _refused(profile_update, account=client_account, actor=dana, version=1, meeting_notes="x")
    assert stale.status == 409


def test_only_the_advisor_or_a_manager_changes_a_profile(
    client_account: Account, dana: Any, erin: Any, alice: Any, morgan: Any
) -> None:
    for outsider in (erin, alice):
        error = _refused(profile_update, account=client_account, actor=outsider, preferred_channel="call")
        assert error.status == 403
        assert _refused(goal_create, actor=outsider, account=client_account, title="x", target_date=TODAY).status == 403
    assert not ClientProfile.objects.exists()
    assert profile_update(account=client_account, actor=morgan, preferred_channel="call").preferred_channel == "call"


# --- goals ---------------------------------------------------------------------------------------


def test_a_goal_is_recorded_changed_and_achieved_or_abandoned_with_a_reason(client_account: Account, dana: Any) -> None:
    goal = goal_create(actor=dana, account=client_account, title="Cut churn 5 % this year", target_date="2026-12-31")
    goal = goal_update(goal=goal, actor=dana, version=1, target_date=date(2026, 11, 30), notes="Board target")
    assert (goal.target_date, goal.version) == (date(2026, 11, 30), 2)
    goal = goal_achieve(goal=goal, actor=dana)
    assert (goal.state, goal.achieved_at is not None) == ("achieved", True)
    assert _refused(goal_abandon, goal=goal, actor=dana, reason="x").status == 409
    assert _refused(goal_update, goal=goal, actor=dana, title="Other").status == 409
    assert goal_update(goal=goal, actor=dana, notes="Reached in November").notes == "Reached in November"
    other = goal_create(actor=dana, account=client_account, title="Open a shop in Lyon", target_date=date(2027, 6, 1))
    assert _refused(goal_abandon, goal=other, actor=dana, reason="  ").field == "reason"
    other = goal_abandon(goal=other, actor=dana, reason="They chose Marseille instead.")
    assert (other.state, other.abandoned_reason) == ("abandoned", "They chose Marseille instead.")
    actions = list(
        Event.objects.filter(subject_id=client_account.pk, field="goal").order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "goal_created",
        "goal_updated",
        "goal_achieved",
        "goal_updated",
        "goal_created",
        "goal_abandoned",
    ]


def test_a_new_goal_may_have_a_past_target_date_but_not_a_mistyped_one(client_account: Account, dana: Any) -> None:
    """GIVEN a client who tells their advisor of a goal whose date has already passed
    WHEN it is recorded THEN it is kept as told (the card shows it overdue); a year like 20266 is refused."""
    goal = goal_create(actor=dana, account=client_account, title="Retire at 60", target_date=date(2025, 12, 31))
    assert goal.target_date == date(2025, 12, 31)
    assert _refused(goal_create, actor=dana, account=client_account, title="x", target_date="20266-01-01").field == (
        "target_date"
    )
    assert _refused(goal_create, actor=dana, account=client_account, title="x", target_date=None).field == (
        "target_date"
    )
    assert ClientGoal.objects.count() == 1


def test_goals_due_within_reads_open_goals_near_their_date_for_many_accounts_at_once(
    client_account: Account, erins_client: Account, dana: Any, erin: Any, django_assert_num_queries: Any
) -> None:
    soon = goal_create(actor=dana, account=client_account, title="Soon", target_date=date(2026, 3, 20))
    goal_create(actor=dana, account=client_account, title="Later", target_date=date(2026, 6, 1))
    goal_create(actor=dana, account=client_account, title="Past", target_date=date(2026, 3, 1))
    done = goal_create(actor=dana, account=client_account, title="Done", target_date=date(2026, 3, 10))
    goal_achieve(goal=done, actor=dana)
    hers = goal_create(actor=erin, account=erins_client, title="Hers", target_date=date(2026, 3, 2))
    with django_assert_num_queries(1):
        assert list(goals_due_within(account_ids=None, days=30, today=TODAY)) == [hers, soon]
    assert list(goals_due_within(account_ids=[client_account.pk], days=30, today=TODAY)) == [soon]
    danas = Account.objects.filter(owner=dana).values("id")
    with django_assert_num_queries(1):
        assert list(goals_due_within(account_ids=danas, days=30, today=TODAY)) == [soon]


# --- key people ----------------------------------------------------------------------------------


def test_a_key_person_is_a_contact_of_the_account_in_a_role_once(
    client_account: Account, dana: Any, charlie: Contact, initech_contact: Contact
) -> None:
    person = key_person_add(actor=dana, account=client_account, contact=charlie, role="decision_maker")
    error = _refused(key_person_add, actor=dana, account=client_account, contact=initech_contact, role="billing")
    assert (error.field, "another account" in error.message) == ("contact", True)
    again = _refused(key_person_add, actor=dana, account=client_account, contact=charlie, role="decision_maker")
    assert again.status == 409
    assert _refused(key_person_add, actor=dana, account=client_account, contact=charlie, role="boss").field == "role"
    key_person_add(actor=dana, account=client_account, contact=charlie, role="billing")
    assert _refused(key_person_update, person=person, actor=dana, role="billing").status == 409
    person = key_person_update(person=person, actor=dana, role="champion", notes="Pushed for the renewal", version=1)
    assert (person.role, person.version) == ("champion", 2)
    key_person_remove(person=person, actor=dana, reason="Left the company")
    assert list(KeyPerson.objects.values_list("role", flat=True)) == ["billing"]
    removed: Any = Event.objects.get(action="key_person_removed")
    assert (removed.reason, removed.old_value["title"]) == ("Left the company", "Charlie Martin (Champion)")


# --- services bought -----------------------------------------------------------------------------


def test_a_service_has_a_price_per_period_and_may_renew(client_account: Account, dana: Any) -> None:
    service = client_service_create(
        actor=dana,
        account=client_account,
        name="Premium support",
        started_on=date(2025, 4, 1),
        renews_on=date(2026, 4, 1),
        amount="1500",
        currency="eur",
        period="month",
    )
    assert (service.amount, service.currency, service.status) == (Decimal("1500.00"), "EUR", "active")
    for changes, field in (
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"currency": "euros"}, "currency"),
        ({"period": "week"}, "period"),
        ({"renews_on": date(2025, 1, 1)}, "renews_on"),
        ({"status": "cancelled"}, "status"),
    ):
        assert _refused(client_service_update, service=service, actor=dana, **changes).field == field
    service = client_service_update(service=service, actor=dana, version=1, status="paused", renews_on=None)
    assert (service.status, service.renews_on, service.version) == ("paused", None, 2)
    stored = ClientService.objects.get()
    assert (stored.amount, stored.renews_on) == (Decimal("1500.00"), None)
    event: Any = Event.objects.filter(action="client_service_updated").get()
    assert (event.old_value["renews_on"], event.new_value["renews_on"]) == ("2026-04-01", None)


def test_renewals_within_n_days_skip_ended_services(
    client_account: Account, erins_client: Account, dana: Any, erin: Any, django_assert_num_queries: Any
) -> None:
    def service(account: Account, actor: Any, name: str, renews: date | None, status: str = "active") -> Any:
        return client_service_create(
            actor=actor,
            account=account,
            name=name,
            started_on=date(2025, 1, 1),
            renews_on=renews,
            amount="10",
            currency="EUR",
            status=status,
        )

    soon = service(client_account, dana, "Soon", date(2026, 4, 15))
    paused = service(erins_client, erin, "Paused", date(2026, 3, 10), status="paused")
    service(client_account, dana, "Ended", date(2026, 3, 5), status="ended")
    service(client_account, dana, "Far", date(2026, 9, 1))
    service(client_account, dana, "Never", None)
    with django_assert_num_queries(1):
        assert list(services_renewing_within(account_ids=None, days=60, today=TODAY)) == [paused, soon]
    assert list(services_renewing_within(account_ids=[client_account.pk], days=60, today=TODAY)) == [soon]
