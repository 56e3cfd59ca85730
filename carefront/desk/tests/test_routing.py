"""Routing: ordered rules at creation and on change, owner-first for clients, team strategies, away agents,
the recorded reason, and rules refused when saved (bad input, loops)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carefront.accounts.models import Channel, Contact
from carefront.accounts.services import account_change_service_model, account_update, contact_create
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Notification, Team
from carefront.core.services import staff_create
from carefront.desk import routing_services
from carefront.desk.models import RoutedBy, RoutingRule, RunsOn, Strategy, Ticket, TicketRouting
from carefront.desk.routing_services import (
    routing_rule_create,
    routing_rule_update,
    staff_away_set,
    team_assignment_set,
)
from carefront.desk.rules import TicketFacts, conditions_clean, conditions_q, matches
from carefront.desk.services import ticket_create, ticket_update


@pytest.fixture
def specialists(db: Any) -> Team:
    return Team.objects.create(name="Specialists")


@pytest.fixture
def advisors(db: Any) -> Team:
    return Team.objects.create(name="Advisors")


def _create(
    requester: Contact, subject: str = "Where is my parcel?", body: str = "It is late.", **extra: Any
) -> Ticket:
    # Read afresh, as a request would: the account's service model or segment may have changed since.
    fresh = Contact.objects.select_related("account").get(pk=requester.pk)
    return ticket_create(actor=None, requester=fresh, subject=subject, body=body, **extra)


def test_rules_run_in_order_each_seeing_what_the_ones_before_it_set(
    ada: Any, carol: Contact, specialists: Team
) -> None:
    routing_rule_create(
        actor=ada, name="Refunds are L2", conditions={"words": ["refund"]}, actions={"tier": 2, "priority": "high"}
    )
    routing_rule_create(actor=ada, name="L2 to specialists", conditions={"tier": [2]}, actions={"team": specialists.pk})
    refund = _create(carol, subject="Refund please", body="I want my money back.")
    assert (refund.tier, refund.priority, refund.team) == (2, "high", specialists)
    routing = TicketRouting.objects.get(ticket=refund)
    assert [name for _id, name in routing.rules] == ["Refunds are L2", "L2 to specialists"]
    routed = Event.objects.filter(subject_id=refund.pk, action="routed")
    assert {(e.field, e.old_value, e.new_value) for e in routed} == {
        ("tier", 1, 2),
        ("priority", "normal", "high"),
        ("team", None, "Specialists"),
    }
    # Whole words only: "refunded" is not "refund".
    other = _create(carol, subject="I was refunded twice", body="Thanks")
    assert (other.tier, other.team) == (1, None)
    assert not TicketRouting.objects.filter(ticket=other).exists()


def test_each_condition_key_matches_what_it_says(ada: Any, acme: Any, carol: Contact) -> None:
    acme = account_update(account=acme, actor=None, segment="Enterprise")
    french = contact_create(actor=None, account=acme, name="Chloé", email="chloe@acme.example", language="fr-CA")
    routing_rule_create(
        actor=ada,
        name="French enterprise chat",
        conditions={
            "channel": ["chat"],
            "service_model": ["customer"],
            "language": ["fr"],
            "segment": ["enterprise"],
            "tags_any": ["billing", "invoice"],
            "tags_none": ["spam"],
        },
        actions={"tags_add": ["french-desk"]},
    )
    hit = _create(french, channel=Channel.CHAT, tags=["invoice"])
    assert sorted(hit.tags.values_list("name", flat=True)) == ["french-desk", "invoice"]
    for requester, channel, tags in [
        (carol, Channel.CHAT, ["invoice"]),  # English
        (french, Channel.EMAIL, ["invoice"]),  # another channel
        (french, Channel.CHAT, ["other"]),  # none of the tags
        (french, Channel.CHAT, ["invoice", "spam"]),  # an excluded tag
    ]:
        missed = _create(requester, channel=channel, tags=tags)
        assert "french-desk" not in missed.tags.values_list("name", flat=True)


def test_a_clients_ticket_goes_to_its_owner_first(
    morgan: Any, dana: Any, carol: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    account_change_service_model(account=carol.account, actor=morgan, service_model="client", owner=dana, reason="VIP")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _create(carol)
    assert (ticket.assignee, ticket.status) == (dana, "open")
    assert TicketRouting.objects.get(ticket=ticket).assigned_by == RoutedBy.OWNER
    assert Notification.objects.filter(recipient=dana, ticket=ticket, verb="assigned").exists()


def test_when_the_owner_is_away_the_owners_team_gets_it_by_its_strategy(
    morgan: Any, dana: Any, carol: Contact, advisors: Team
) -> None:
    dana.staff_profile.teams.add(advisors)
    eve = staff_create(username="eve", email="eve@carefront.example", role="advisor", teams=[advisors])
    team_assignment_set(actor=morgan, team=advisors, strategy=Strategy.ROUND_ROBIN)
    account_change_service_model(account=carol.account, actor=morgan, service_model="client", owner=dana, reason="VIP")
    staff_away_set(actor=dana, user=dana, away=True)
    ticket = _create(carol)
    assert (ticket.team, ticket.assignee) == (advisors, eve)
    routing = TicketRouting.objects.get(ticket=ticket)
    assert (routing.assigned_by, routing.strategy) == (RoutedBy.OWNER_AWAY, Strategy.ROUND_ROBIN)
    staff_away_set(actor=dana, user=dana, away=False)
    assert _create(carol).assignee == dana


def test_a_rule_that_names_an_assignee_wins_over_the_owner(
    ada: Any, morgan: Any, dana: Any, bob: Any, carol: Contact
) -> None:
    account_change_service_model(account=carol.account, actor=morgan, service_model="client", owner=dana, reason="VIP")
    routing_rule_create(
        actor=ada, name="Outages to Bob", conditions={"words": ["outage"]}, actions={"assignee": bob.pk}
    )
    assert _create(carol, subject="Total outage").assignee == bob
    assert _create(carol, subject="A question").assignee == dana


def test_round_robin_takes_turns_and_skips_the_away(
    ada: Any, alice: Any, bob: Any, front_line: Team, carol: Contact
) -> None:
    team_assignment_set(actor=ada, team=front_line, strategy=Strategy.ROUND_ROBIN)
    turns = [_create(carol, team=front_line).assignee for _ in range(3)]
    assert turns == [alice, bob, alice]
    staff_away_set(actor=ada, user=alice, away=True)
    assert [_create(carol, team=front_line).assignee for _ in range(2)] == [bob, bob]
    staff_away_set(actor=ada, user=bob, away=True)
    nobody = _create(carol, team=front_line)
    assert nobody.assignee is None
    assert TicketRouting.objects.get(ticket=nobody).strategy == Strategy.ROUND_ROBIN


def test_least_open_gives_the_ticket_to_whoever_has_fewest_unsolved(
    ada: Any, alice: Any, bob: Any, front_line: Team, carol: Contact
) -> None:
    for _ in range(2):
        _create(carol, assignee=alice)
    solved = _create(carol, assignee=bob)
    ticket_update(ticket=solved, actor=bob, status="solved")
    _create(carol, assignee=bob)
    team_assignment_set(actor=ada, team=front_line, strategy=Strategy.LEAST_OPEN)
    assert _create(carol, team=front_line).assignee == bob  # bob 1 unsolved, alice 2


def test_fewest_open_counts_only_up_to_a_cap_so_a_huge_backlog_costs_no_more(
    ada: Any, alice: Any, bob: Any, front_line: Team, carol: Contact, monkeypatch: Any
) -> None:
    monkeypatch.setattr(routing_services, "OPEN_COUNT_CAP", 2)
    for _ in range(3):
        _create(carol, assignee=alice)
    for _ in range(2):
        _create(carol, assignee=bob)
    team_assignment_set(actor=ada, team=front_line, strategy=Strategy.LEAST_OPEN)
    # Both count as 2 (alice's third is past the cap): a tie, which the lower id (alice) takes; uncapped, bob
    # would get it.
    assert _create(carol, team=front_line).assignee == alice


def test_skill_and_language_prefers_a_speaker_with_the_skill(ada: Any, front_line: Team, globex: Any) -> None:
    staff_create(username="ana", email="ana@x.example", role="agent", teams=[front_line], languages=["en"])
    staff_create(
        username="luc", email="luc@x.example", role="agent", teams=[front_line], languages=["fr"], skills=["returns"]
    )
    staff_create(
        username="zoe", email="zoe@x.example", role="agent", teams=[front_line], languages=["fr"], skills=["billing"]
    )
    team_assignment_set(actor=ada, team=front_line, strategy=Strategy.SKILL_LANGUAGE)
    french = contact_create(actor=None, account=globex, name="Léa", email="lea@globex.example", language="fr")
    picked = [_create(french, team=front_line, tags=[tag]).assignee for tag in ("billing", "returns")]
    assert [getattr(person, "username", None) for person in picked] == ["zoe", "luc"]


def test_change_rules_run_on_updates_and_creation_rules_do_not(
    ada: Any, alice: Any, carol: Contact, specialists: Team
) -> None:
    routing_rule_create(
        actor=ada,
        name="Urgent to specialists",
        runs_on=RunsOn.UPDATED,
        conditions={"priority": ["urgent"]},
        actions={"team": specialists.pk, "tags_add": ["hot"]},
    )
    routing_rule_create(actor=ada, name="Tag everything new", conditions={}, actions={"tags_add": ["new"]})
    ticket = _create(carol, priority="urgent")
    assert ticket.team is None  # the change rule does not run at creation
    updated = ticket_update(ticket=ticket, actor=alice, priority="low")
    assert updated.team is None
    updated = ticket_update(ticket=updated, actor=alice, priority="urgent")
    assert updated.team == specialists
    assert sorted(updated.tags.values_list("name", flat=True)) == ["hot", "new"]
    event = Event.objects.get(subject_id=ticket.pk, action="routed", field="team")
    assert (event.new_value, event.reason) == ("Specialists", "Urgent to specialists")


def test_rules_that_would_flip_a_field_back_and_forth_are_refused(ada: Any) -> None:
    routing_rule_create(
        actor=ada, name="VIP high", runs_on=RunsOn.BOTH, conditions={"tags_any": ["vip"]}, actions={"priority": "high"}
    )
    with pytest.raises(ApplicationError) as refused:
        routing_rule_create(
            actor=ada,
            name="Email low",
            runs_on=RunsOn.UPDATED,
            conditions={"channel": ["email"]},
            actions={"priority": "low"},
        )
    assert refused.value.field == "actions"
    assert "VIP high" in refused.value.message and "priority" in refused.value.message
    # Conditions that cannot hold together, or that the other rule's action breaks, do not loop.
    routing_rule_create(
        actor=ada,
        name="Non-VIP low",
        runs_on=RunsOn.BOTH,
        conditions={"tags_none": ["vip"]},
        actions={"priority": "low"},
    )
    routing_rule_create(
        actor=ada,
        name="Low becomes normal",
        runs_on=RunsOn.UPDATED,
        conditions={"priority": ["low"], "channel": ["chat"]},
        actions={"priority": "normal", "tags_add": ["vip"]},
    )
    with pytest.raises(ApplicationError, match="tags"):
        routing_rule_create(
            actor=ada,
            name="Untag VIP",
            runs_on=RunsOn.UPDATED,
            conditions={"channel": ["chat", "email"]},
            actions={"tags_remove": ["vip"]},
        )
    # Creation-only rules run once, in order: they may disagree without looping.
    routing_rule_create(actor=ada, name="Email low at creation", conditions={}, actions={"priority": "low"})
    assert RoutingRule.objects.count() == 4


def test_turning_a_rule_on_is_checked_for_loops_too(ada: Any) -> None:
    routing_rule_create(actor=ada, name="A", runs_on=RunsOn.BOTH, conditions={}, actions={"tier": 2})
    b = routing_rule_create(
        actor=ada, name="B", runs_on=RunsOn.BOTH, conditions={}, actions={"tier": 3}, is_active=False
    )
    with pytest.raises(ApplicationError):
        routing_rule_update(rule=b, actor=ada, is_active=True)
    b.refresh_from_db()
    assert b.is_active is False


@pytest.mark.parametrize(
    ("conditions", "actions", "field"),
    [
        ({"colour": ["red"]}, {"tier": 2}, "conditions.colour"),
        ({"channel": "email"}, {"tier": 2}, "conditions.channel"),
        ({"channel": ["fax"]}, {"tier": 2}, "conditions.channel"),
        ({"tier": [7]}, {"tier": 2}, "conditions.tier"),
        ({"words": ["!!!"]}, {"tier": 2}, "conditions.words"),
        ({}, {}, "actions"),
        ({}, {"tier": 9}, "actions.tier"),
        ({}, {"team": 999_999}, "actions.team"),
        ({}, {"assignee": "bob"}, "actions.assignee"),
        ({}, {"status": "solved"}, "actions.status"),
        ({}, {"tags_add": ["x"], "tags_remove": ["x"]}, "actions.tags_remove"),
    ],
)
def test_bad_rules_are_refused_naming_the_field_and_nothing_is_stored(
    ada: Any, conditions: Any, actions: Any, field: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        routing_rule_create(actor=ada, name="Bad", conditions=conditions, actions=actions)
    assert refused.value.field == field
    assert not RoutingRule.objects.exists()


@pytest.fixture
def varied_tickets(db: Any, acme: Any, globex: Any) -> list[Ticket]:
    globex = account_update(account=globex, actor=None, segment="SMB")
    lea = contact_create(actor=None, account=globex, name="Léa", email="lea@globex.example", language="fr-FR")
    carol = contact_create(actor=None, account=acme, name="Carol", email="c@acme.example", language="en")
    made = []
    for index, (requester, channel, tags) in enumerate(
        [
            (lea, "chat", ["vip"]),
            (carol, "email", []),
            (lea, "email", ["billing", "vip"]),
            (carol, "phone", ["billing"]),
        ]
    ):
        made.append(
            ticket_create(
                actor=None,
                requester=requester,
                subject="Help",
                body="Please",
                channel=channel,
                tags=tags,
                tier=1 + index % 3,
                priority=["low", "normal", "high", "urgent"][index],
            )
        )
    return made


CONDITION_VALUES = {
    "channel": st.lists(st.sampled_from(["email", "chat", "phone", "portal"]), min_size=1, max_size=2),
    "service_model": st.lists(st.sampled_from(["customer", "client"]), min_size=1, max_size=1),
    "segment": st.lists(st.sampled_from(["smb", "SMB", "enterprise"]), min_size=1, max_size=2),
    "language": st.lists(st.sampled_from(["fr", "en", "de"]), min_size=1, max_size=2),
    "tier": st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=2),
    "priority": st.lists(st.sampled_from(["low", "normal", "high", "urgent"]), min_size=1, max_size=2),
    "assigned": st.lists(st.booleans(), min_size=1, max_size=2),
    "tags_any": st.lists(st.sampled_from(["vip", "billing", "spam"]), min_size=1, max_size=2),
    "tags_none": st.lists(st.sampled_from(["vip", "billing", "spam"]), min_size=1, max_size=2),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(sorted(CONDITION_VALUES)), st.just(None), max_size=4), st.data())
def test_the_database_filter_and_the_python_check_agree(varied_tickets: list[Ticket], keys: Any, data: Any) -> None:
    """Automations filter in the database, routing checks one ticket in Python: the same answer either way."""
    conditions = conditions_clean({key: data.draw(CONDITION_VALUES[key]) for key in keys})
    in_database = set(Ticket.objects.filter(conditions_q(conditions)).values_list("pk", flat=True))
    in_python = set()
    for ticket in Ticket.objects.select_related("account", "requester").prefetch_related("tags"):
        facts = TicketFacts(
            channel=ticket.channel,
            service_model=ticket.account.service_model,
            segment=ticket.account.segment,
            language=ticket.requester.language,
            tier=ticket.tier,
            priority=ticket.priority,
            status=ticket.status,
            assigned=ticket.assignee_id is not None,
            tags=frozenset(tag.name for tag in ticket.tags.all()),
        )
        if matches(conditions, facts):
            in_python.add(ticket.pk)
    assert in_database == in_python


def test_a_changed_rule_applies_to_the_next_ticket(ada: Any, carol: Contact) -> None:
    """Each process keeps the rules it read until a rule changes: a change is seen at once."""
    rule = routing_rule_create(actor=ada, name="Tag", conditions={}, actions={"tags_add": ["first"]})
    assert list(_create(carol).tags.values_list("name", flat=True)) == ["first"]
    routing_rule_update(rule=rule, actor=ada, actions={"tags_add": ["second"]})
    assert list(_create(carol).tags.values_list("name", flat=True)) == ["second"]
    routing_rule_update(rule=rule, actor=ada, is_active=False)
    assert not _create(carol).tags.exists()
