"""Settings → Health scores (managers and admins): the signals' weights and windows, the bands, and a recompute of
every score. The score itself is on the account page (`relationships/health_card.html`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carefront.core.exceptions import ApplicationError
from carefront.relationships import selectors_health as selectors
from carefront.relationships import services_health as services
from carefront.relationships.forms_health import HealthSettingsForm
from carefront.web.access import manager_view


@manager_view
@require_http_methods(["GET", "POST"])
def health_settings_view(request: HttpRequest) -> HttpResponse:
    row = services.health_settings()
    signals = selectors.health_signal_settings(row)
    form = HealthSettingsForm(
        request.POST or None, signals=signals, initial=HealthSettingsForm.initial_for(row, signals)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.health_settings_update(actor=request.user, **form.changes())
        except ApplicationError as error:
            # One transaction: a refused value leaves every setting as it was.
            form.show_error(error)
        else:
            messages.success(request, _("Health settings saved; every client's score is being recomputed."))
            return redirect("web:settings-health")
    status = 400 if form.is_bound and form.errors else 200
    context = {"nav": "settings", "section": "health", "form": form, "row": row}
    return render(request, "relationships/health_settings.html", context, status=status)


@manager_view
@require_POST
def health_recompute_view(request: HttpRequest) -> HttpResponse:
    from carefront.relationships.tasks import recompute_health_now

    recompute_health_now()
    messages.success(request, _("Every client's health score is being recomputed."))
    return redirect("web:settings-health")
