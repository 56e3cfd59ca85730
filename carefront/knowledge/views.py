"""The workspace's Knowledge screens: every staff member reads (drafts and internal articles included);
managers and admins write. Each view parses, checks access, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carefront.core.exceptions import ApplicationError
from carefront.knowledge.access import access_article, access_category, may_write
from carefront.knowledge.forms import ArticleFilterForm, ArticleForm, CategoryForm
from carefront.knowledge.markdown import markdown_render
from carefront.knowledge.selectors import (
    Audience,
    article_search,
    articles_page,
    articles_with_counts,
    categories_list,
    reader_language,
)
from carefront.knowledge.services import (
    MAX_BODY_CHARS,
    article_create,
    article_delete,
    article_publish,
    article_unpublish,
    article_update,
    category_create,
    category_delete,
    category_update,
)
from carefront.web.access import staff_view

PAGE_SIZE = 50


def _form_error(form: Any, error: ApplicationError) -> None:
    """Show a service's refusal on the field it names ("translations.fr.title" is the form's title_fr)."""
    field = error.field or ""
    if field.startswith("translations."):
        _prefix, language, part = [*field.split("."), "", ""][:3]
        field = f"{part}_{language}"
    form.add_error(field if field in form.fields else None, error.message)


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, form: Any = None) -> HttpResponse:
    status = 400 if form is not None and form.is_bound and form.errors else 200
    context = {"nav": "knowledge", "may_write": may_write(request.user), **context}
    return render(request, template, context, status=status)


def _require_writer(request: HttpRequest) -> None:
    if not may_write(request.user):
        raise PermissionDenied


def _cursor(request: HttpRequest) -> int | None:
    raw = request.GET.get("after", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


@staff_view
@require_GET
def knowledge_list(request: HttpRequest) -> HttpResponse:
    """Articles, newest first, a page at a time (keyset on id); with words, the best matches instead."""
    language = reader_language(get_language())
    filters = ArticleFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    query = data.get("q", "")
    context: dict[str, Any] = {"filters": filters, "query": query}
    if query:
        hits = article_search(text=query, language=language, audience=Audience.ALL, limit=PAGE_SIZE)
        context["hits"] = hits
    else:
        category = data.get("category")
        items, next_cursor = articles_page(
            language=language,
            status=data.get("status", ""),
            category_id=category.pk if category else None,
            text_language=data.get("language", ""),
            after=_cursor(request),
            size=PAGE_SIZE,
        )
        params = request.GET.copy()
        params.pop("after", None)
        context.update(items=items, next_cursor=next_cursor, params=params.urlencode())
    return _render(request, "knowledge/staff/list.html", context)


@staff_view
@require_http_methods(["GET", "POST"])
def article_new(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    form = ArticleForm(request.POST or None, initial={"default_language": reader_language(get_language())})
    if request.method == "POST" and form.is_valid():
        try:
            article = article_create(actor=request.user, **form.values())
        except ApplicationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Article saved as a draft."))
            return redirect("web:knowledge-article", article_id=article.pk)
    return _render(request, "knowledge/staff/article.html", {"form": form, "article": None}, form=form)


@staff_view
@require_http_methods(["GET", "POST"])
def article_page(request: HttpRequest, article_id: int) -> HttpResponse:
    """An article as staff read it (every language), and for writers its form."""
    article = access_article(user=request.user, article_id=article_id)
    form = None
    if may_write(request.user):
        form = ArticleForm(request.POST or None, initial=ArticleForm.initial_for(article))
    elif request.method == "POST":
        raise PermissionDenied
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            article_update(actor=request.user, article=article, **form.values())
        except ApplicationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Article saved."))
            return redirect("web:knowledge-article", article_id=article.pk)
    detail = articles_with_counts().get(pk=article.pk)
    context = {"form": form, "article": detail, "translations": list(detail.translations.order_by("language"))}
    return _render(request, "knowledge/staff/article.html", context, form=form)


@staff_view
@require_POST
def article_status(request: HttpRequest, article_id: int, action: str) -> HttpResponse:
    """Publish, unpublish or delete an article (managers and admins)."""
    article = access_article(user=request.user, article_id=article_id)
    _require_writer(request)
    if action == "publish":
        article_publish(actor=request.user, article=article)
        messages.success(request, _("Article published."))
    elif action == "unpublish":
        article_unpublish(actor=request.user, article=article)
        messages.success(request, _("Article unpublished: it is a draft again."))
    elif action == "delete":
        article_delete(actor=request.user, article=article)
        messages.success(request, _("Article deleted."))
        return redirect("web:knowledge")
    else:
        raise Http404
    return redirect("web:knowledge-article", article_id=article.pk)


@staff_view
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The sanitised HTML of the Markdown being written (an htmx fragment)."""
    field = request.POST.get("field", "")
    body = request.POST.get(field, "") if field.startswith("body_") else ""
    body = body[:MAX_BODY_CHARS].replace("\x00", "")
    return render(request, "knowledge/staff/preview.html", {"html": markdown_render(body)})


@staff_view
@require_http_methods(["GET", "POST"])
def categories_view(request: HttpRequest, category_id: int | None = None) -> HttpResponse:
    category = access_category(user=request.user, category_id=category_id) if category_id is not None else None
    initial = CategoryForm.initial_for(category) if category is not None else None
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST":
        _require_writer(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if category is None:
                    category_create(
                        actor=request.user, slug=data["slug"], names=form.names(), position=data["position"]
                    )
                else:
                    category_update(
                        actor=request.user,
                        category=category,
                        slug=data["slug"],
                        names=form.names(),
                        position=data["position"],
                    )
            except ApplicationError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Category saved."))
                return redirect("web:knowledge-categories")
    context = {"form": form, "category": category, "categories": list(categories_list())}
    return _render(request, "knowledge/staff/categories.html", context, form=form)


@staff_view
@require_POST
def category_delete_view(request: HttpRequest, category_id: int) -> HttpResponse:
    category = access_category(user=request.user, category_id=category_id)
    _require_writer(request)
    try:
        category_delete(actor=request.user, category=category)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("web:knowledge-category", category_id=category_id)
    messages.success(request, _("Category deleted."))
    return redirect("web:knowledge-categories")
