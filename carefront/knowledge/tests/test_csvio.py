"""`carefront import|export articles`: one row per translation, all or nothing, errors by row and column."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from carefront.core.csvio import CsvImportError, csv_export, csv_import
from carefront.core.models import Event
from carefront.knowledge.models import Article, ArticleTranslation, Category

pytestmark = pytest.mark.django_db

HEADER = "slug,language,title,body,category,category_name,status,visibility,default_language\n"
GOOD = (
    HEADER
    + "track-my-order,en,Track my order,Open **My orders**.,orders,Orders,published,public,en\n"
    + "track-my-order,fr,Suivre ma commande,Ouvrez **Mes commandes**.,orders,Commandes,,,\n"
    + 'refund-rules,en,Refund rules,"Agents refund up to 50 EUR,\nthen ask a manager.",'
    + "billing,Billing,published,internal,en\n"
)


def _import(text: str, actor: Any = None) -> Any:
    return csv_import(kind="articles", source=io.BytesIO(text.encode()), actor=actor)


def test_articles_are_imported_with_their_translations_and_categories(morgan: Any) -> None:
    counts = _import(GOOD, actor=morgan)
    assert (counts.rows, counts.created) == (3, 2)
    tracking = Article.objects.get(slug="track-my-order")
    assert tracking.category is not None
    assert (tracking.status, tracking.category.slug, tracking.category.names) == (
        "published",
        "orders",
        {"en": "Orders", "fr": "Commandes"},
    )
    assert ArticleTranslation.objects.get(article=tracking, language="fr").body_html == (
        "<p>Ouvrez <strong>Mes commandes</strong>.</p>\n"
    )
    assert Article.objects.get(slug="refund-rules").visibility == "internal"
    assert Event.objects.filter(subject_kind="article", action="created").count() == 2


def test_export_then_import_round_trips_and_changes_nothing(morgan: Any) -> None:
    _import(GOOD)
    out = io.StringIO()
    assert csv_export(kind="articles", out=out) == 3
    exported = out.getvalue()
    assert exported.startswith(HEADER)
    events = Event.objects.count()
    counts = _import(exported)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert Event.objects.count() == events
    again = io.StringIO()
    csv_export(kind="articles", out=again)
    assert again.getvalue() == exported


def test_an_existing_article_gets_the_files_languages_and_keeps_the_others(morgan: Any) -> None:
    _import(GOOD)
    counts = _import(HEADER + "track-my-order,en,Track your parcel,New body.,,,draft,,\n")
    assert counts.updated == 1
    tracking = Article.objects.get(slug="track-my-order")
    assert tracking.status == "draft"
    assert dict(tracking.translations.values_list("language", "title")) == {
        "en": "Track your parcel",
        "fr": "Suivre ma commande",
    }


def test_errors_name_row_and_column_and_nothing_is_written() -> None:
    bad = (
        HEADER
        + "Bad Slug,en,Title,Body,,,,,\n"
        + "ok-one,de,Titel,Text,,,,,\n"
        + "ok-two,en,,Body,,,,,\n"
        + "ok-three,en,Title,Body,,,archived,,\n"
        + "ok-four,en,Title,Body,,,published,,\n"
        + "ok-four,fr,Titre,Corps,,,draft,,\n"
        + "ok-four,fr,Titre,Corps,,,,,\n"
        + "ok-five,fr,Titre,Corps,,,,,en\n"
        + "fine,en,Fine,Body,cat,Cat,,,\n"
    )
    with pytest.raises(CsvImportError) as refused:
        _import(bad)
    where = {(error.row, error.column) for error in refused.value.errors}
    assert where == {
        (2, "slug"),
        (3, "language"),
        (4, "title"),
        (5, "status"),
        (7, "status"),
        (8, "language"),
        (9, "default_language"),  # ok-five has no text in its default language (en)
    }
    assert not Article.objects.exists() and not Category.objects.exists()


def test_the_commands_import_and_export(tmp_path: Any, morgan: Any) -> None:
    source = tmp_path / "articles.csv"
    source.write_text(GOOD, encoding="utf-8")
    call_command("import", "articles", str(source), "--actor", "morgan", stdout=io.StringIO())
    assert Article.objects.count() == 2
    assert Event.objects.filter(subject_kind="article", actor=morgan).exists()
    out = io.StringIO()
    call_command("export", "articles", stdout=out)
    assert "Suivre ma commande" in out.getvalue()


def test_an_agent_may_not_import(alice: Any) -> None:
    with pytest.raises(Exception) as refused:
        _import(GOOD, actor=alice)
    assert "managers and admins" in str(refused.value)
    assert not Article.objects.exists()
