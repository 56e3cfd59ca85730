"""The query string of the global search page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carefront.core.search import MAX_QUERY_CHARS


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search tickets, accounts and contacts"), required=False, strip=True)

    def query(self) -> str:
        """What to search for: longer input is cut rather than refused, as a search box should."""
        if not self.is_valid():
            return ""
        return str(self.cleaned_data.get("q") or "")[:MAX_QUERY_CHARS]
