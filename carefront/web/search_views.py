"""Global search: one box for tickets, accounts and contacts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carefront.core.search import search
from carefront.web.access import staff_view
from carefront.web.forms_search import SearchForm

RESULTS_PER_KIND = 20


@staff_view
def search_page(request: HttpRequest) -> HttpResponse:
    query = SearchForm(request.GET).query()
    results = search(user=request.user, query=query, limit_per_kind=RESULTS_PER_KIND) if query else None
    context = {"results": results, "search_query": query, "results_per_kind": RESULTS_PER_KIND, "nav": "search"}
    return render(request, "web/search/results.html", context)
