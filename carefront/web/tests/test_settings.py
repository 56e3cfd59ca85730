"""Workspace settings: teams, staff and roles, tags and API tokens for admins; everyone's own preferences."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carefront.accounts.services import account_change_owner, account_change_service_model, account_update
from carefront.api.models import ApiToken
from carefront.api.services import token_create
from carefront.core.exceptions import ApplicationError
from carefront.core.models import Event, Role, StaffProfile, Tag, Team
from carefront.core.services import staff_create, staff_deactivate, staff_update, tag_rename
from carefront.desk.models import Ticket
from carefront.desk.services import ticket_create, ticket_set_tags

User = get_user_model()
PASSWORD = "correct horse battery staple"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queries(client: Client, url: str) -> int:
    """How many queries one page view costs (after a first view has warmed per-process caches)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def make_staff(count: int, *, prefix: str, teams: list[Team] | None = None) -> list[Any]:
    return [
        staff_create(
            username=f"{prefix}{n}", email=f"{prefix}{n}@carefront.example", role=Role.AGENT, teams=teams or []
        )
        for n in range(count)
    ]


@pytest.fixture
def tagged(ada, carol, acme):
    """Two tickets and an account carrying the tag “billing”; one ticket also carries “invoices”."""
    first = ticket_create(actor=None, requester=carol, subject="Wrong invoice", body="Charged twice.")
    second = ticket_create(actor=None, requester=carol, subject="Refund", body="Where is it?")
    ticket_set_tags(ticket=first, actor=ada, tags=["billing"])
    ticket_set_tags(ticket=second, actor=ada, tags=["billing", "invoices"])
    account_update(account=acme, actor=ada, tags=["billing", "vip"])
    return {"first": first, "second": second, "billing": Tag.objects.get(name="billing")}


# Who may use the settings


def admin_urls(team: Team, member: Any, tag: Tag, token: ApiToken) -> list[tuple[str, str]]:
    return [
        ("get", "/settings/"),
        ("get", "/settings/teams/"),
        ("post", "/settings/teams/"),
        ("get", f"/settings/teams/{team.pk}/"),
        ("post", f"/settings/teams/{team.pk}/"),
        ("post", f"/settings/teams/{team.pk}/members/"),
        ("get", "/settings/staff/"),
        ("get", "/settings/staff/new/"),
        ("post", "/settings/staff/new/"),
        ("get", f"/settings/staff/{member.pk}/"),
        ("post", f"/settings/staff/{member.pk}/"),
        ("post", f"/settings/staff/{member.pk}/deactivate/"),
        ("post", f"/settings/staff/{member.pk}/reactivate/"),
        ("get", "/settings/tags/"),
        ("get", f"/settings/tags/{tag.pk}/"),
        ("post", f"/settings/tags/{tag.pk}/rename/"),
        ("post", f"/settings/tags/{tag.pk}/delete/"),
        ("get", "/settings/tokens/"),
        ("post", "/settings/tokens/"),
        ("post", f"/settings/tokens/{token.prefix}/revoke/"),
    ]


def test_agents_and_managers_get_403_on_every_admin_url(alice, bob, morgan, front_line, tagged):
    token, _plain = token_create(user=bob, name="sync")
    urls = admin_urls(front_line, bob, tagged["billing"], token)
    for user in (alice, morgan):
        client = signed_in(user)
        for method, url in urls:
            response = getattr(client, method)(url, {"name": "x", "user": "alice", "members": [alice.pk]})
            assert response.status_code == 403, (user, method, url)
    # Nothing was changed by the refused requests.
    bob.refresh_from_db()
    token.refresh_from_db()
    assert bob.is_active and token.revoked_at is None
    assert Tag.objects.filter(name="billing").exists()
    assert Team.objects.get().name == "Front line"


def test_settings_need_sign_in(db):
    response = Client().get("/settings/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")


def test_contacts_cannot_open_their_own_staff_preferences(carol, portal_user_for):
    assert signed_in(portal_user_for(carol)).get("/settings/me/").status_code == 403


def test_index_links_every_section_and_the_django_admin(ada, django_assert_max_num_queries):
    client = signed_in(ada)
    with django_assert_max_num_queries(8):
        response = client.get("/settings/")
    page = response.content.decode()
    for link in ("/settings/teams/", "/settings/staff/", "/settings/tags/", "/settings/tokens/", "/settings/me/"):
        assert f'href="{link}"' in page
    assert 'href="/admin/"' in page and "Back office (Django admin)" in page
    assert '<a href="/settings/" aria-current="page">Settings</a>' in page


def test_settings_link_in_the_navigation_only_for_admins(ada, alice):
    assert 'href="/settings/"' in signed_in(ada).get("/").content.decode()
    assert 'href="/settings/"' not in signed_in(alice).get("/").content.decode()


# Teams


def test_admin_creates_a_team_and_sees_it_listed(ada):
    client = signed_in(ada)
    response = client.post("/settings/teams/", {"name": "Specialists", "description": "L2 and L3"}, follow=True)
    team = Team.objects.get(name="Specialists")
    assert response.redirect_chain[-1][0] == f"/settings/teams/{team.pk}/"
    assert "Team “Specialists” created." in response.content.decode()
    assert team.description == "L2 and L3"
    listing = client.get("/settings/teams/").content.decode()
    assert f'href="/settings/teams/{team.pk}/">Specialists</a>' in listing
    assert LogEntry.objects.filter(object_id=str(team.pk), user=ada).exists()


def test_team_names_are_unique_whatever_their_case(ada, front_line):
    response = signed_in(ada).post("/settings/teams/", {"name": "FRONT LINE"})
    assert response.status_code == 400
    assert "A team named “FRONT LINE” already exists." in response.content.decode()
    assert Team.objects.count() == 1


def test_admin_renames_and_describes_a_team(ada, front_line):
    client = signed_in(ada)
    response = client.post(f"/settings/teams/{front_line.pk}/", {"name": "Tier 1", "description": "First answers"})
    assert response.status_code == 302
    front_line.refresh_from_db()
    assert (front_line.name, front_line.description) == ("Tier 1", "First answers")
    entry = LogEntry.objects.get(object_id=str(front_line.pk), user=ada)
    assert "name: Front line → Tier 1" in entry.change_message


def test_renaming_a_team_to_another_teams_name_is_refused(ada, front_line):
    other = Team.objects.create(name="Advisors")
    response = signed_in(ada).post(f"/settings/teams/{other.pk}/", {"name": "front line"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "Advisors"


def test_admin_adds_and_removes_team_members(ada, alice, bob, dana, front_line):
    client = signed_in(ada)
    page = client.get(f"/settings/teams/{front_line.pk}/").content.decode()
    assert f'value="{alice.pk}"' in page and "checked" in page
    response = client.post(f"/settings/teams/{front_line.pk}/members/", {"members": [alice.pk, dana.pk]})
    assert response.status_code == 302
    members = set(front_line.members.values_list("user__username", flat=True))
    assert members == {"alice", "dana"}
    entry = LogEntry.objects.filter(object_id=str(front_line.pk)).latest("pk")
    assert entry.change_message == "Members added: dana; removed: bob."
    listing = client.get("/settings/teams/").content.decode()
    assert "<td>2</td>" in listing


def test_inactive_staff_cannot_join_a_team(ada, alice, bob, front_line):
    carl = staff_create(username="carl", email="carl@carefront.example", role=Role.AGENT)
    staff_deactivate(user=carl, actor=ada)
    response = signed_in(ada).post(f"/settings/teams/{front_line.pk}/members/", {"members": [carl.pk]})
    assert response.status_code == 400
    assert "carl is inactive and cannot join a team." in response.content.decode()
    assert set(front_line.members.values_list("user__username", flat=True)) == {"alice", "bob"}


def test_team_pages_cost_the_same_queries_with_more_teams_and_members(ada, front_line, django_assert_max_num_queries):
    client = signed_in(ada)
    make_staff(2, prefix="few", teams=[front_line])
    few_list, few_team = queries(client, "/settings/teams/"), queries(client, f"/settings/teams/{front_line.pk}/")
    for n in range(30):
        Team.objects.create(name=f"Team {n}")
    make_staff(30, prefix="many", teams=[front_line])
    assert queries(client, "/settings/teams/") == few_list
    assert queries(client, f"/settings/teams/{front_line.pk}/") == few_team
    with django_assert_max_num_queries(8):
        client.get("/settings/teams/")
    with django_assert_max_num_queries(9):
        client.get(f"/settings/teams/{front_line.pk}/")


def test_teams_list_pages_by_name(ada):
    for n in range(55):
        Team.objects.create(name=f"Team {n:02d}")
    client = signed_in(ada)
    first = client.get("/settings/teams/").content.decode()
    assert "Team 49" in first and "Team 50" not in first
    assert 'href="?after=Team%2049"' in first
    second = client.get("/settings/teams/?after=Team%2049").content.decode()
    assert "Team 50" in second and "Team 49<" not in second and "Next page" not in second


# Staff and roles


def test_staff_list_shows_role_teams_status_and_last_sign_in(ada, alice, dana, front_line):
    client = signed_in(alice)
    client.get("/")
    staff_deactivate(user=dana, actor=ada)
    page = signed_in(ada).get("/settings/staff/").content.decode()
    alice.refresh_from_db()
    assert f'href="/settings/staff/{alice.pk}/">Alice</a>' in page
    assert "Agent" in page and "Advisor" in page and "Admin" in page
    assert "Front line" in page
    assert "Inactive" in page and "Active" in page
    assert "Never" in page  # dana never signed in


def test_staff_list_filters_by_text_and_role_and_answers_htmx_with_the_fragment(ada, alice, dana):
    client = signed_in(ada)
    page = client.get("/settings/staff/", {"role": "advisor"}).content.decode()
    assert "dana@carefront.example" in page and "alice@carefront.example" not in page
    fragment = client.get("/settings/staff/", {"q": "ALI"}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="staff-results"')
    assert "alice@carefront.example" in fragment and "dana@carefront.example" not in fragment
    assert "<html" not in fragment


def test_staff_list_costs_the_same_queries_with_more_staff(ada, front_line, django_assert_max_num_queries):
    client = signed_in(ada)
    make_staff(2, prefix="few", teams=[front_line])
    few = queries(client, "/settings/staff/")
    make_staff(40, prefix="many", teams=[front_line, Team.objects.create(name="Nights")])
    assert queries(client, "/settings/staff/") == few
    with django_assert_max_num_queries(7):
        client.get("/settings/staff/")


def test_admin_adds_staff_member_and_sees_the_generated_password_once(ada, front_line):
    client = signed_in(ada)
    response = client.post(
        "/settings/staff/new/",
        {
            "username": "zoe",
            "email": "Zoe@Carefront.example",
            "first_name": "Zoe",
            "last_name": "Park",
            "role": "advisor",
            "teams": [front_line.pk],
            "time_zone": "Asia/Seoul",
            "language": "fr",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    zoe = User.objects.get(username="zoe")
    password = response.context["invite"].password
    assert password and f'value="{password}"' in response.content.decode()
    assert zoe.check_password(password)
    profile = zoe.staff_profile
    assert (profile.role, profile.time_zone, profile.language, zoe.email) == (
        "advisor",
        "Asia/Seoul",
        "fr",
        "zoe@carefront.example",
    )
    assert list(profile.teams.all()) == [front_line]
    # Never shown again.
    assert password not in client.get(f"/settings/staff/{zoe.pk}/").content.decode()
    assert password not in client.get("/settings/staff/").content.decode()
    assert Client().post("/login/", {"username": "zoe", "password": password}).status_code == 302


def test_admin_may_choose_the_initial_password_but_not_a_weak_one(ada):
    client = signed_in(ada)
    base = {"username": "yann", "email": "yann@carefront.example", "role": "agent", "time_zone": "UTC"}
    weak = client.post("/settings/staff/new/", {**base, "language": "en", "password": "password"})
    assert weak.status_code == 400
    assert "This password is too common." in weak.content.decode()
    assert not User.objects.filter(username="yann").exists()
    chosen = client.post("/settings/staff/new/", {**base, "language": "en", "password": "plum-orbit-lantern-42"})
    assert chosen.status_code == 200
    assert "plum-orbit-lantern-42" not in chosen.content.decode()
    assert User.objects.get(username="yann").check_password("plum-orbit-lantern-42")


def test_adding_a_staff_member_with_a_taken_username_is_refused(ada, alice):
    response = signed_in(ada).post(
        "/settings/staff/new/",
        {"username": "Alice", "email": "a2@carefront.example", "role": "agent", "time_zone": "UTC", "language": "en"},
    )
    assert response.status_code == 400
    assert "A user named “Alice” already exists." in response.content.decode()
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_admin_changes_role_teams_zone_and_language_and_it_is_audited(ada, alice, front_line):
    nights = Team.objects.create(name="Nights")
    client = signed_in(ada)
    response = client.post(
        f"/settings/staff/{alice.pk}/",
        {"role": "manager", "teams": [nights.pk], "time_zone": "America/Toronto", "language": "fr"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    profile = alice.staff_profile
    assert (profile.role, profile.time_zone, profile.language) == ("manager", "America/Toronto", "fr")
    assert list(profile.teams.all()) == [nights]
    assert alice.is_staff and not alice.is_superuser
    page = client.get(f"/settings/staff/{alice.pk}/").content.decode()
    assert "role: agent → manager" in page
    assert "teams: Front line → Nights" in page


def test_promoting_to_admin_grants_the_django_admin(ada, alice):
    signed_in(ada).post(f"/settings/staff/{alice.pk}/", {"role": "admin", "time_zone": "UTC", "language": "en"})
    alice.refresh_from_db()
    assert alice.is_superuser and alice.staff_profile.role == Role.ADMIN
    assert signed_in(alice).get("/settings/").status_code == 200


def test_the_last_active_admin_cannot_be_demoted(ada):
    response = signed_in(ada).post(
        f"/settings/staff/{ada.pk}/", {"role": "agent", "time_zone": "UTC", "language": "en"}
    )
    assert response.status_code == 400
    assert "ada is the last active admin; make someone else an admin first." in response.content.decode()
    ada.refresh_from_db()
    assert ada.staff_profile.role == Role.ADMIN and ada.is_superuser


def test_an_admin_may_step_down_when_another_admin_remains(ada):
    staff_create(username="root", email="root@carefront.example", role=Role.ADMIN)
    response = signed_in(ada).post(
        f"/settings/staff/{ada.pk}/", {"role": "agent", "time_zone": "UTC", "language": "en"}
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.staff_profile.role == Role.AGENT and not ada.is_superuser


def test_admin_cannot_deactivate_themselves(ada):
    client = signed_in(ada)
    assert "You cannot deactivate yourself" in client.get(f"/settings/staff/{ada.pk}/").content.decode()
    response = client.post(f"/settings/staff/{ada.pk}/deactivate/")
    assert response.status_code == 409
    assert "You cannot deactivate yourself; ask another admin." in response.content.decode()
    ada.refresh_from_db()
    assert ada.is_active


def test_the_last_active_admin_cannot_be_deactivated(ada):
    """GIVEN one active admin WHEN the system (no actor, as a command would) deactivates them THEN it is refused."""
    with pytest.raises(ApplicationError, match="last active admin"):
        staff_deactivate(user=ada, actor=None)
    ada.refresh_from_db()
    assert ada.is_active


def test_an_advisor_who_owns_accounts_is_deactivated_only_after_handing_them_over(ada, dana, acme, globex):
    """GIVEN dana owns a client account and a customer account
    WHEN an admin deactivates her THEN it is refused with how many accounts to hand over;
    once they are handed over, it works and dana can no longer sign in or use her token."""
    account_change_service_model(account=acme, actor=ada, service_model="client", owner=dana, reason="Key account")
    account_change_owner(account=globex, actor=ada, owner=dana, reason="Watch closely")
    client = signed_in(ada)
    refused = client.post(f"/settings/staff/{dana.pk}/deactivate/")
    assert refused.status_code == 409
    assert "dana owns 2 accounts (1 of them clients); hand them over to another owner first." in (
        refused.content.decode()
    )
    dana.refresh_from_db()
    assert dana.is_active

    _token, plain = token_create(user=dana, name="crm")
    morgan = staff_create(username="mo", email="mo@carefront.example", role=Role.ADVISOR)
    account_change_owner(account=acme, actor=ada, owner=morgan, reason="Dana leaves")
    account_change_owner(account=globex, actor=ada, owner=None, reason="Dana leaves")
    done = client.post(f"/settings/staff/{dana.pk}/deactivate/", follow=True)
    assert "dana was deactivated and can no longer sign in." in done.content.decode()
    dana.refresh_from_db()
    assert not dana.is_active
    assert Client().post("/login/", {"username": "dana", "password": PASSWORD}).status_code == 200
    assert Client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert "Deactivated." in LogEntry.objects.filter(object_id=str(dana.pk)).latest("pk").change_message


def test_admin_reactivates_a_staff_member(ada, bob):
    staff_deactivate(user=bob, actor=ada)
    client = signed_in(ada)
    assert "Reactivate bob" in client.get(f"/settings/staff/{bob.pk}/").content.decode()
    response = client.post(f"/settings/staff/{bob.pk}/reactivate/", follow=True)
    assert "bob was reactivated." in response.content.decode()
    bob.refresh_from_db()
    assert bob.is_active
    assert Client().post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302


def test_unknown_staff_member_is_404(ada, carol, portal_user_for):
    client = signed_in(ada)
    assert client.get("/settings/staff/999999/").status_code == 404
    # A contact's portal user is not staff: not managed here.
    assert client.get(f"/settings/staff/{portal_user_for(carol).pk}/").status_code == 404


def test_staff_edit_page_costs_a_constant_number_of_queries(ada, alice, django_assert_max_num_queries):
    client = signed_in(ada)
    url = f"/settings/staff/{alice.pk}/"
    few = queries(client, url)
    for n in range(12):
        Team.objects.create(name=f"Team {n}")
        staff_update(user=alice, actor=ada, time_zone="Europe/Paris" if n % 2 else "UTC")
    assert queries(client, url) == few
    with django_assert_max_num_queries(9):
        client.get(url)


# My preferences (every staff member)


def test_every_staff_member_picks_their_own_language_and_time_zone(alice, django_assert_max_num_queries):
    client = signed_in(alice)
    with django_assert_max_num_queries(6):
        page = client.get("/settings/me/")
    assert page.status_code == 200
    assert 'href="/settings/teams/"' not in page.content.decode()  # no admin sections for an agent
    response = client.post("/settings/me/", {"time_zone": "Europe/Paris", "language": "fr"}, follow=True)
    alice.refresh_from_db()
    assert (alice.staff_profile.time_zone, alice.staff_profile.language) == ("Europe/Paris", "fr")
    assert '<html lang="fr">' in response.content.decode()
    assert [str(message) for message in response.context["messages"]]


def test_own_preferences_cannot_change_role_or_teams(alice, front_line):
    signed_in(alice).post("/settings/me/", {"time_zone": "UTC", "language": "en", "role": "admin", "teams": []})
    alice.refresh_from_db()
    assert alice.staff_profile.role == Role.AGENT
    assert list(alice.staff_profile.teams.all()) == [front_line]


def test_unknown_time_zone_is_refused(alice):
    response = signed_in(alice).post("/settings/me/", {"time_zone": "Mars/Olympus", "language": "en"})
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.staff_profile.time_zone == "UTC"


def test_only_admins_change_someone_elses_role_in_the_service(alice, bob):
    with pytest.raises(ApplicationError) as refused:
        staff_update(user=bob, actor=alice, role=Role.ADMIN)
    assert refused.value.status == 403
    with pytest.raises(ApplicationError):
        staff_update(user=bob, actor=alice, time_zone="Europe/Paris")
    assert StaffProfile.objects.get(user=bob).role == Role.AGENT


# Tags


def test_tags_list_shows_usage_on_tickets_and_accounts(ada, tagged):
    page = signed_in(ada).get("/settings/tags/").content.decode()
    billing = tagged["billing"]
    assert (
        f'<td><a href="/settings/tags/{billing.pk}/">billing</a></td>\n        <td>2</td>\n        <td>1</td>' in page
    )
    assert ">vip</a></td>\n        <td>0</td>\n        <td>1</td>" in page


def test_tags_list_filters_and_answers_htmx_with_the_fragment(ada, tagged):
    fragment = signed_in(ada).get("/settings/tags/", {"q": "INV"}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="tag-results"')
    assert ">invoices</a>" in fragment and ">billing</a>" not in fragment


def test_tags_list_costs_the_same_queries_with_more_tags_and_uses(ada, tagged, carol, django_assert_max_num_queries):
    client = signed_in(ada)
    few = queries(client, "/settings/tags/")
    for n in range(20):
        ticket = ticket_create(actor=None, requester=carol, subject=f"T{n}", body="b")
        ticket_set_tags(ticket=ticket, actor=ada, tags=[f"topic-{n}", "billing"])
    assert queries(client, "/settings/tags/") == few
    with django_assert_max_num_queries(6):
        client.get("/settings/tags/")


def test_admin_renames_a_tag_everywhere_with_one_audit_event_per_ticket_and_account(ada, tagged, acme):
    billing = tagged["billing"]
    client = signed_in(ada)
    with_form = client.get(f"/settings/tags/{billing.pk}/").content.decode()
    assert "Used on 2 tickets" in with_form and "and 1 account." in with_form
    versions = {t.pk: t.version for t in Ticket.objects.all()}
    response = client.post(f"/settings/tags/{billing.pk}/rename/", {"name": " Payments "}, follow=True)
    assert "Renamed “billing” to “payments” on 3 tickets and accounts." in response.content.decode()
    billing.refresh_from_db()
    assert billing.name == "payments"
    assert sorted(tagged["second"].tags.values_list("name", flat=True)) == ["invoices", "payments"]
    events = Event.objects.filter(action="tag_renamed")
    assert sorted((e.subject_kind, e.subject_id) for e in events) == sorted(
        [("ticket", tagged["first"].pk), ("ticket", tagged["second"].pk), ("account", acme.pk)]
    )
    event = events.get(subject_kind="account")
    assert (event.field, event.old_value, event.new_value, event.actor, event.actor_label) == (
        "tags",
        "billing",
        "payments",
        ada,
        "ada",
    )
    for ticket in Ticket.objects.filter(pk__in=[tagged["first"].pk, tagged["second"].pk]):
        assert ticket.version == versions[ticket.pk] + 1


def test_renaming_to_an_existing_tag_merges_them(ada, tagged, acme):
    invoices = Tag.objects.get(name="invoices")
    response = signed_in(ada).post(f"/settings/tags/{invoices.pk}/rename/", {"name": "billing"}, follow=True)
    assert "Merged “invoices” into “billing” on 1 ticket or account." in response.content.decode()
    assert not Tag.objects.filter(name="invoices").exists()
    # The ticket that had both keeps one “billing”; the others are untouched.
    assert list(tagged["second"].tags.values_list("name", flat=True)) == ["billing"]
    assert list(tagged["first"].tags.values_list("name", flat=True)) == ["billing"]
    assert sorted(acme.tags.values_list("name", flat=True)) == ["billing", "vip"]
    merged = Event.objects.get(action="tag_merged")
    assert (merged.subject_kind, merged.subject_id, merged.old_value, merged.new_value) == (
        "ticket",
        tagged["second"].pk,
        "invoices",
        "billing",
    )


def test_merging_moves_the_tag_onto_accounts_too(ada, tagged, acme, globex):
    account_update(account=globex, actor=ada, tags=["invoices"])
    tag_rename(tag=Tag.objects.get(name="invoices"), name="vip", actor=ada)
    assert list(globex.tags.values_list("name", flat=True)) == ["vip"]
    assert sorted(acme.tags.values_list("name", flat=True)) == ["billing", "vip"]


def test_invalid_tag_name_is_refused(ada, tagged):
    billing = tagged["billing"]
    response = signed_in(ada).post(f"/settings/tags/{billing.pk}/rename/", {"name": "no spaces allowed"})
    assert response.status_code == 400
    assert "is not a valid tag" in response.content.decode()
    billing.refresh_from_db()
    assert billing.name == "billing"


def test_admin_deletes_a_tag_from_every_ticket_and_account(ada, tagged, acme):
    billing = tagged["billing"]
    response = signed_in(ada).post(f"/settings/tags/{billing.pk}/delete/", follow=True)
    assert "Deleted “billing”; it was removed from 3 tickets and accounts." in response.content.decode()
    assert not Tag.objects.filter(name="billing").exists()
    assert list(tagged["second"].tags.values_list("name", flat=True)) == ["invoices"]
    assert list(acme.tags.values_list("name", flat=True)) == ["vip"]
    removed = Event.objects.filter(action="tag_removed")
    assert removed.count() == 3
    assert {(e.old_value, e.new_value) for e in removed} == {("billing", None)}


def test_renaming_a_tag_costs_the_same_queries_on_3_or_60_tickets(ada, carol, django_assert_num_queries):
    """The rename is set-based: a fixed number of statements, however many tickets carry the tag."""

    def tag_tickets(name: str, count: int) -> Tag:
        for n in range(count):
            ticket = ticket_create(actor=None, requester=carol, subject=f"{name} {n}", body="b")
            ticket_set_tags(ticket=ticket, actor=None, tags=[name])
        return Tag.objects.get(name=name)

    small, large = tag_tickets("small", 3), tag_tickets("large", 60)
    with CaptureQueriesContext(connection) as few:
        tag_rename(tag=small, name="small-renamed", actor=ada)
    with django_assert_num_queries(len(few.captured_queries)):
        tag_rename(tag=large, name="large-renamed", actor=ada)
    assert Event.objects.filter(action="tag_renamed", new_value="large-renamed").count() == 60


def test_unknown_tag_is_404(ada):
    assert signed_in(ada).get("/settings/tags/999999/").status_code == 404


# API tokens


def test_admin_creates_a_token_that_is_shown_once_and_works(ada, alice):
    client = signed_in(ada)
    response = client.post("/settings/tokens/", {"user": "alice@carefront.example", "name": "CRM sync"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    plain = response.context["plain"]
    assert plain.startswith("cf_") and f'value="{plain}"' in response.content.decode()
    token = ApiToken.objects.get(user=alice, name="CRM sync")
    assert plain not in token.key_hash
    listing = client.get("/settings/tokens/").content.decode()
    assert plain not in listing
    assert f"cf_{token.prefix}_…" in listing and "CRM sync" in listing
    api = Client(headers={"Authorization": f"Bearer {plain}"})
    assert api.get("/api/v1/tickets").status_code == 200


def test_a_contacts_email_gives_the_contact_a_portal_token(ada, carol):
    response = signed_in(ada).post("/settings/tokens/", {"user": "carol@acme.example", "name": "app"})
    assert response.status_code == 200
    carol.refresh_from_db()
    assert ApiToken.objects.filter(user_id=carol.user_id).count() == 1


def test_token_for_an_unknown_user_is_refused(ada):
    response = signed_in(ada).post("/settings/tokens/", {"user": "nobody@nowhere.example"})
    assert response.status_code == 400
    assert "No user or contact is called nobody@nowhere.example." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_admin_revokes_a_token(ada, alice):
    token, plain = token_create(user=alice, name="old")
    client = signed_in(ada)
    response = client.post(f"/settings/tokens/{token.prefix}/revoke/", follow=True)
    assert f"Token {token.prefix} of alice was revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get("/settings/tokens/").content.decode()
    assert Client(headers={"Authorization": f"Bearer {plain}"}).get("/api/v1/tickets").status_code == 401
    assert client.post("/settings/tokens/ffffffffffff/revoke/").status_code == 404


def test_tokens_list_costs_the_same_queries_with_more_tokens(ada, alice, bob, django_assert_max_num_queries):
    client = signed_in(ada)
    token_create(user=alice, name="one")
    few = queries(client, "/settings/tokens/")
    for n in range(30):
        token_create(user=bob if n % 2 else alice, name=f"t{n}")
    assert queries(client, "/settings/tokens/") == few
    with django_assert_max_num_queries(6):
        client.get("/settings/tokens/")


def test_tokens_list_pages_newest_first(ada, alice):
    tokens = [token_create(user=alice, name=f"token-{n:02d}")[0] for n in range(52)]
    client = signed_in(ada)
    first = client.get("/settings/tokens/").content.decode()
    assert "token-51" in first and "token-02" in first and "token-01" not in first
    second = client.get(f"/settings/tokens/?before={tokens[2].pk}").content.decode()
    assert "token-01" in second and "token-00" in second and "token-02" not in second
