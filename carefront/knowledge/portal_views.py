"""The portal's help centre (/portal/help/): browse, search, read, answer "did this help?", and the
new-request form's suggestions, where "This solved my problem" records a deflection and files nothing.

The help centre is public, as help centres are: anyone may read published public articles, signed in or
not. Nothing else of the knowledge base ever reaches these pages (`access_public_article`, Audience.PORTAL).
Suggestions and deflections are for signed-in customers only (`portal_view`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carefront.core.access import portal_account_id
from carefront.core.exceptions import ApplicationError
from carefront.knowledge.access import access_public_article
from carefront.knowledge.selectors import (
    Audience,
    article_search,
    article_suggest,
    article_text,
    category_articles,
    category_by_slug,
    help_centre_shelves,
    reader_feedback,
    reader_language,
)
from carefront.knowledge.services import MAX_SUBJECT_CHARS, article_feedback_record, deflection_record
from carefront.portal.access import portal_view

MAX_QUERY_CHARS = 200


def _language() -> str:
    return reader_language(get_language())


def _text_param(request: HttpRequest, name: str, limit: int) -> str:
    return " ".join(request.GET.get(name, "").replace("\x00", " ").split())[:limit]


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    shelves = help_centre_shelves(language=_language())
    return render(request, "knowledge/portal/home.html", {"shelves": shelves, "nav": "help"})


@require_GET
def help_search(request: HttpRequest) -> HttpResponse:
    query = _text_param(request, "q", MAX_QUERY_CHARS)
    hits = article_search(text=query, language=_language(), audience=Audience.PORTAL) if query else []
    return render(request, "knowledge/portal/search.html", {"query": query, "hits": hits, "nav": "help"})


@require_GET
def help_category(request: HttpRequest, slug: str) -> HttpResponse:
    category = category_by_slug(slug=slug)
    if category is None:
        raise Http404
    language = _language()
    items = category_articles(category=category, language=language)
    if not items:
        raise Http404
    context = {"category": category, "name": category.name_in(language), "items": items, "nav": "help"}
    return render(request, "knowledge/portal/category.html", context)


@require_GET
def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = access_public_article(slug=slug)
    language = _language()
    text = article_text(article=article, language=language)
    if text is None:
        raise Http404
    feedback = reader_feedback(article=article, user=request.user, session_key=request.session.session_key or "")
    subject = _text_param(request, "subject", MAX_SUBJECT_CHARS)
    context = {
        "article": article,
        "text": text,
        "category_name": article.category.name_in(language) if article.category else "",
        "feedback": feedback,
        # Opened from the new-request form's suggestions: the customer may say it solved their problem.
        "subject": subject if portal_account_id(request.user) is not None else "",
        "nav": "help",
    }
    return render(request, "knowledge/portal/article.html", context)


@require_POST
def help_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    article = access_public_article(slug=slug)
    answer = request.POST.get("helpful", "")
    if answer not in {"yes", "no"}:
        messages.error(request, _("Answer yes or no."))
        return redirect("portal:help-article", slug=slug)
    if not request.session.session_key:
        # A reader who is not signed in is known by a session: start one.
        request.session.save()
    try:
        article_feedback_record(
            article=article,
            language=_language(),
            helpful=answer == "yes",
            user=request.user,
            session_key=request.session.session_key or "",
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you for your feedback."))
    return redirect("portal:help-article", slug=slug)


@portal_view
@require_GET
def help_suggest(request: HttpRequest) -> HttpResponse:
    """Articles for the subject being typed on the new-request form (an htmx fragment)."""
    subject = _text_param(request, "subject", MAX_SUBJECT_CHARS)
    hits = article_suggest(text=subject, language=_language(), audience=Audience.PORTAL) if subject else []
    return render(request, "knowledge/portal/suggestions.html", {"hits": hits, "subject": subject})


@portal_view
@require_POST
def help_solved(request: HttpRequest, slug: str) -> HttpResponse:
    """The customer says this article solved their problem: a deflection, and no request is filed."""
    article = access_public_article(slug=slug)
    subject = " ".join(request.POST.get("subject", "").replace("\x00", " ").split())[:MAX_SUBJECT_CHARS]
    deflection_record(article=article, user=request.user, subject=subject, language=_language())
    return redirect("portal:help-solved-thanks", slug=slug)


@portal_view
@require_GET
def help_solved_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    article = access_public_article(slug=slug)
    text = article_text(article=article, language=_language())
    return render(request, "knowledge/portal/solved.html", {"article": article, "text": text, "nav": "help"})
