"""The workspace's relationships screens: engagements and their page, commitments, dependencies and the time lost
waiting on the client. Each view parses, checks access, calls one service or selector, renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carefront.accounts.access import access_account
from carefront.core.access import is_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.selectors import staff_members
from carefront.desk.access import access_ticket_by_number
from carefront.relationships import selectors, services
from carefront.relationships.access import (
    access_commitment,
    access_dependency,
    access_engagement,
    access_milestone,
    may_manage_account,
)
from carefront.relationships.forms import (
    COMMITMENT_STATES,
    DEPENDENCY_STATES,
    CommitmentForm,
    DependencyForm,
    EngagementForm,
    ListForm,
    MilestoneForm,
    ReasonForm,
    ReassignForm,
    StatusForm,
)
from carefront.relationships.models import Engagement, EngagementStatus
from carefront.relationships.services_reminders import dependency_remind_now
from carefront.web.access import staff_view
from carefront.web.forms_settings import form_error

ENGAGEMENT_PAGE = "relationships/engagement.html"
MAX_CURSOR_DIGITS = 18


def _htmx(request: HttpRequest) -> bool:
    details: Any = getattr(request, "htmx", None)
    return bool(details) and not details.history_restore_request


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back where the form was (its `next`, on this site only), else to `fallback`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _id_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= MAX_CURSOR_DIGITS else None


def _account_from_query(request: HttpRequest) -> Any:
    return access_account(user=request.user, account_id=_id_param(request, "account") or 0)


def _act(request: HttpRequest, action: Callable[[], Any], *, fallback: str) -> HttpResponse:
    """Run a one-button action (received, dropped…); a refusal is shown as a message where the button was."""
    try:
        action()
    except ApplicationError as error:
        messages.error(request, error.message)
    return _back(request, fallback)


def _create_page(
    request: HttpRequest, form: Any, create: Callable[[], tuple[str, str]], *, template: str, context: dict[str, Any]
) -> HttpResponse:
    """A page with one creating form. `create` calls the service and returns what to say and where to go next;
    a refusal stays on the field it names."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                message, target = create()
            except ApplicationError as error:
                form_error(form, error)
                status = error.status
            else:
                messages.success(request, message)
                return redirect(target)
    return render(request, template, {"nav": "relationships", "form": form, **context}, status=status)


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return str(form.cleaned_data["reason"]) if form.is_valid() else ""


def _due_list(request: HttpRequest, *, tab: str, states: Any, rows_for: Callable[..., Any]) -> dict[str, Any]:
    """A list soonest due first, filtered by the query string, with the query of its next page."""
    form = ListForm(request.GET, staff=staff_members(), states=states)
    filters = form.filters()
    query = request.GET.copy()
    query.pop("after", None)
    return {
        "nav": "relationships",
        "tab": tab,
        "form": form,
        "filters": filters,
        "page": selectors.due_page(rows_for(user=request.user, filters=filters), after=form.cursor()),
        "query": query.urlencode(),
        "now": timezone.now(),
    }


# --- engagements ---------------------------------------------------------------------------------


@staff_view
@require_GET
def engagements_page(request: HttpRequest) -> HttpResponse:
    form = StatusForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else None
    before = _id_param(request, "before")
    rows = selectors.engagements_list(user=request.user, filters=selectors.Filters(state=status))
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-id")[: selectors.PAGE + 1])
    older = page[selectors.PAGE - 1].pk if len(page) > selectors.PAGE else None
    context = {
        "nav": "relationships",
        "tab": "engagements",
        "engagements": page[: selectors.PAGE],
        "status": status or "",
        "statuses": EngagementStatus.choices,
        "older": older,
    }
    return render(request, "relationships/engagements.html", context)


@staff_view
def engagement_new(request: HttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    form = EngagementForm(request.POST or None, staff=staff_members(), initial={"owner": account.owner_id})

    def create() -> tuple[str, str]:
        engagement = services.engagement_create(actor=request.user, account=account, **form.cleaned_data)
        message = _("Engagement “{title}” planned.").format(title=engagement.title)
        return message, reverse("web:relationships-engagement", args=[engagement.pk])

    return _create_page(
        request, form, create, template="relationships/engagement_new.html", context={"account": account}
    )


def _engagement_context(request: HttpRequest, engagement: Engagement, **bound: Any) -> dict[str, Any]:
    detail = selectors.engagement_detail(engagement=engagement)
    may_edit = may_manage_account(request.user, engagement.account)
    context: dict[str, Any] = {
        "nav": "relationships",
        "detail": detail,
        "engagement": engagement,
        "may_edit": may_edit,
        "now": timezone.now(),
    }
    if may_edit:
        choices = selectors.work_choices(user=request.user, account=engagement.account, engagement=engagement)
        staff = staff_members()
        context.update(
            milestone_form=bound.get("milestone_form") or MilestoneForm(),
            commitment_form=bound.get("commitment_form")
            or CommitmentForm(staff=staff, milestones=choices.milestones, initial={"owner": engagement.owner_id}),
            dependency_form=bound.get("dependency_form")
            or DependencyForm(
                contacts=choices.contacts, commitments=choices.commitments, milestones=choices.milestones
            ),
            status_form=StatusForm(initial={"status": engagement.status}),
        )
    return context


@staff_view
@require_GET
def engagement_page(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = access_engagement(user=request.user, engagement_id=engagement_id)
    return render(request, ENGAGEMENT_PAGE, _engagement_context(request, engagement))


def _engagement_add(
    request: HttpRequest, engagement: Engagement, form: Any, create: Callable[[], Any], *, name: str, anchor: str
) -> HttpResponse:
    """Add to an engagement from one of its page's forms (`name` in the page's context): back to its section, or
    the page again with the refusal on the form."""
    status = 400
    if form.is_valid():
        try:
            create()
        except ApplicationError as error:
            form_error(form, error)
            status = error.status
        else:
            return redirect(reverse("web:relationships-engagement", args=[engagement.pk]) + anchor)
    context = _engagement_context(request, engagement, **{name: form})
    return render(request, ENGAGEMENT_PAGE, context, status=status)


@require_POST
@staff_view
def engagement_status(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = access_engagement(user=request.user, engagement_id=engagement_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_update(engagement=engagement, actor=request.user, status=form.cleaned_data["status"])
        except ApplicationError as error:
            messages.error(request, error.message)
    return redirect("web:relationships-engagement", engagement.pk)


@require_POST
@staff_view
def milestone_add(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = access_engagement(user=request.user, engagement_id=engagement_id)
    form = MilestoneForm(request.POST)
    return _engagement_add(
        request,
        engagement,
        form,
        lambda: services.milestone_create(engagement=engagement, actor=request.user, **form.cleaned_data),
        name="milestone_form",
        anchor="#milestones",
    )


@require_POST
@staff_view
def milestone_done(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone = access_milestone(user=request.user, milestone_id=milestone_id)
    return _act(
        request,
        lambda: services.milestone_complete(milestone=milestone, actor=request.user),
        fallback=reverse("web:relationships-engagement", args=[milestone.engagement_id]) + "#milestones",
    )


@require_POST
@staff_view
def engagement_commitment_add(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = access_engagement(user=request.user, engagement_id=engagement_id)
    choices = selectors.work_choices(user=request.user, account=engagement.account, engagement=engagement)
    form = CommitmentForm(request.POST, staff=staff_members(), milestones=choices.milestones)
    return _engagement_add(
        request,
        engagement,
        form,
        lambda: _commitment_create(request, form, account=engagement.account, engagement=engagement),
        name="commitment_form",
        anchor="#commitments",
    )


@require_POST
@staff_view
def engagement_dependency_add(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = access_engagement(user=request.user, engagement_id=engagement_id)
    choices = selectors.work_choices(user=request.user, account=engagement.account, engagement=engagement)
    form = DependencyForm(
        request.POST, contacts=choices.contacts, commitments=choices.commitments, milestones=choices.milestones
    )
    return _engagement_add(
        request,
        engagement,
        form,
        lambda: _dependency_create(request, form, engagement=engagement),
        name="dependency_form",
        anchor="#dependencies",
    )


def _commitment_create(
    request: HttpRequest, form: CommitmentForm, *, account: Any, engagement: Engagement | None
) -> Any:
    data = form.cleaned_data
    number = data.get("ticket")
    return services.commitment_create(
        actor=request.user,
        account=account,
        title=data["title"],
        owner=data["owner"],
        due_at=data["due_at"],
        engagement=engagement,
        milestone=form.chosen_milestone(),
        ticket=access_ticket_by_number(user=request.user, number=number) if number else None,
    )


def _dependency_create(request: HttpRequest, form: DependencyForm, *, engagement: Engagement | None) -> Any:
    data = form.cleaned_data
    return services.dependency_create(
        actor=request.user,
        what=data["what"],
        details=data["details"],
        contact=form.chosen_contact(),
        due_at=data["due_at"],
        blocks=services.Blocked(**form.chosen_blocks()),
        engagement=engagement,
    )


# --- commitments ---------------------------------------------------------------------------------


@staff_view
@require_GET
def commitments_page(request: HttpRequest) -> HttpResponse:
    context = _due_list(
        request,
        tab="commitments",
        states=COMMITMENT_STATES,
        rows_for=selectors.commitments_list,
    )
    context["rate"] = selectors.on_time_rate(user=request.user, filters=context["filters"])
    context["reassign_to"] = _reassign_to(request)
    return render(request, "relationships/commitments.html", context)


def _reassign_to(request: HttpRequest) -> list[Any]:
    """Whom a manager may give the commitments of someone who left (read once for the page)."""
    return list(staff_members()) if is_manager(request.user) else []


@staff_view
def commitment_new(request: HttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    form = CommitmentForm(request.POST or None, staff=staff_members(), initial={"owner": account.owner_id})

    def create() -> tuple[str, str]:
        _commitment_create(request, form, account=account, engagement=None)
        return _("Commitment recorded."), reverse("web:account", args=[account.pk])

    return _create_page(
        request, form, create, template="relationships/commitment_new.html", context={"account": account}
    )


@require_POST
@staff_view
def commitment_done(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = access_commitment(user=request.user, commitment_id=commitment_id)
    try:
        services.commitment_complete(commitment=commitment, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    if _htmx(request):
        row = selectors.commitments_list(user=request.user).get(pk=commitment.pk)
        context = {"commitment": row, "reassign_to": _reassign_to(request)}
        return render(request, "relationships/commitments.html#commitment-row", context)
    return _back(request, reverse("web:relationships-commitments"))


@require_POST
@staff_view
def commitment_drop(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = access_commitment(user=request.user, commitment_id=commitment_id)
    reason = _reason(request)
    return _act(
        request,
        lambda: services.commitment_drop(commitment=commitment, actor=request.user, reason=reason),
        fallback=reverse("web:relationships-commitments"),
    )


@require_POST
@staff_view
def commitment_reassign(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = access_commitment(user=request.user, commitment_id=commitment_id)
    form = ReassignForm(request.POST, staff=staff_members())
    owner = form.cleaned_data["owner"] if form.is_valid() else None
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        lambda: services.commitment_reassign(commitment=commitment, actor=request.user, owner=owner, reason=reason),
        fallback=reverse("web:relationships-commitments"),
    )


# --- dependencies --------------------------------------------------------------------------------


@staff_view
@require_GET
def dependencies_page(request: HttpRequest) -> HttpResponse:
    context = _due_list(request, tab="dependencies", states=DEPENDENCY_STATES, rows_for=selectors.dependencies_list)
    return render(request, "relationships/dependencies.html", context)


@staff_view
def dependency_new(request: HttpRequest) -> HttpResponse:
    account = _account_from_query(request)
    choices = selectors.work_choices(user=request.user, account=account)
    form = DependencyForm(
        request.POST or None,
        contacts=choices.contacts,
        commitments=choices.commitments,
        milestones=choices.milestones,
        tickets=choices.tickets,
    )

    def create() -> tuple[str, str]:
        _dependency_create(request, form, engagement=None)
        message = _("Dependency recorded: the work it blocks now waits on the client.")
        return message, reverse("web:account", args=[account.pk])

    return _create_page(
        request, form, create, template="relationships/dependency_new.html", context={"account": account}
    )


@require_POST
@staff_view
def dependency_received(request: HttpRequest, dependency_id: int) -> HttpResponse:
    dependency = access_dependency(user=request.user, dependency_id=dependency_id)
    return _act(
        request,
        lambda: services.dependency_receive(dependency=dependency, actor=request.user),
        fallback=reverse("web:relationships-dependencies"),
    )


@require_POST
@staff_view
def dependency_remind(request: HttpRequest, dependency_id: int) -> HttpResponse:
    """Remind the client contact of an overdue dependency now (at most once per reminder interval)."""
    dependency = access_dependency(user=request.user, dependency_id=dependency_id)
    try:
        dependency_remind_now(dependency=dependency, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("{contact} was reminded of “{what}”.").format(contact=dependency.contact.name, what=dependency.what),
        )
    return _back(request, reverse("web:relationships-dependencies"))


@require_POST
@staff_view
def dependency_cancel(request: HttpRequest, dependency_id: int) -> HttpResponse:
    dependency = access_dependency(user=request.user, dependency_id=dependency_id)
    reason = _reason(request)
    return _act(
        request,
        lambda: services.dependency_cancel(dependency=dependency, actor=request.user, reason=reason),
        fallback=reverse("web:relationships-dependencies"),
    )


# --- the waiting report --------------------------------------------------------------------------


@staff_view
@require_GET
def waiting_page(request: HttpRequest) -> HttpResponse:
    by: selectors.WaitingBy = "engagement" if request.GET.get("by") == "engagement" else "account"
    before = _id_param(request, "before")
    report = selectors.waiting_report(user=request.user, by=by, before=before)
    context = {"nav": "relationships", "tab": "waiting", "by": by, "report": report}
    return render(request, "relationships/waiting.html", context)
