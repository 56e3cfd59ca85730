"""The ticket page's "Suggested articles" panel, loaded by htmx after the page (so the page's own queries do
not grow): articles for the ticket's subject and first message, in the requester's language, internal ones
included, each with a button that puts a Markdown link to the article into the reply."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carefront.accounts.models import Contact
from carefront.core.selectors import supported_language
from carefront.desk.access import access_ticket_by_number
from carefront.desk.selectors import messages_list
from carefront.knowledge.models import ArticleVisibility
from carefront.knowledge.selectors import ArticleHit, Audience, article_portal_url, article_suggest
from carefront.web.access import staff_view

FIRST_MESSAGE_CHARS = 500


def _requester_language(requester: Contact) -> str:
    return supported_language(requester.language) or settings.LANGUAGE_CODE


def _markdown_link(hit: ArticleHit) -> str:
    title = hit.translation.title.replace("[", "(").replace("]", ")")
    return f"[{title}]({article_portal_url(hit.article.slug)})"


@staff_view
@require_GET
def ticket_articles(request: HttpRequest, number: int) -> HttpResponse:
    ticket = access_ticket_by_number(user=request.user, number=number)
    first = messages_list(user=request.user, ticket=ticket).order_by("id").values_list("body_text", flat=True).first()
    text = f"{ticket.subject} {(first or '')[:FIRST_MESSAGE_CHARS]}"
    requester = Contact.objects.filter(pk=ticket.requester_id).only("language").first()
    language = _requester_language(requester) if requester is not None else settings.LANGUAGE_CODE
    hits = article_suggest(text=text, language=language, audience=Audience.STAFF)
    suggestions = [
        {
            "hit": hit,
            "link": _markdown_link(hit),
            "internal": hit.article.visibility == ArticleVisibility.INTERNAL,
        }
        for hit in hits
    ]
    return render(request, "knowledge/staff/ticket_articles.html", {"suggestions": suggestions, "ticket": ticket})
