"""Forms of the workspace's Knowledge screens: they parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from carefront.knowledge.models import Article, ArticleStatus, ArticleVisibility, Category
from carefront.knowledge.selectors import reader_language
from carefront.knowledge.services import MAX_BODY_CHARS, MAX_TITLE_CHARS, ArticleText


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_in(reader_language(get_language())))


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *ArticleStatus.choices])
    category = CategoryChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.all(), empty_label=_("Any")
    )
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("Any")), *settings.LANGUAGES])


class ArticleForm(forms.Form):
    """An article and its text in every language; a language left blank has no text."""

    slug = forms.SlugField(label=_("Slug"), max_length=120, help_text=_("The article's address: track-my-order"))
    category = CategoryChoiceField(label=_("Category"), required=False, queryset=Category.objects.all())
    visibility = forms.ChoiceField(label=_("Visibility"), choices=ArticleVisibility.choices)
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title ({language})").format(language=name), required=False, max_length=MAX_TITLE_CHARS
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Body in Markdown ({language})").format(language=name),
                required=False,
                max_length=MAX_BODY_CHARS,
                widget=forms.Textarea(attrs={"rows": 12, "data-preview": f"preview-{code}"}),
            )

    @staticmethod
    def initial_for(article: Article) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "slug": article.slug,
            "category": article.category_id,
            "visibility": article.visibility,
            "default_language": article.default_language,
        }
        for text in article.translations.all():
            initial[f"title_{text.language}"] = text.title
            initial[f"body_{text.language}"] = text.body
        return initial

    def values(self) -> dict[str, Any]:
        """The article's fields and texts as `article_create` and `article_update` take them."""
        data = self.cleaned_data
        return {
            "slug": data["slug"],
            "texts": self.texts(),
            "category": data["category"],
            "visibility": data["visibility"],
            "default_language": data["default_language"],
        }

    def texts(self) -> dict[str, ArticleText]:
        data = self.cleaned_data
        return {
            code: ArticleText(data.get(f"title_{code}", ""), data.get(f"body_{code}", ""))
            for code, _name in settings.LANGUAGES
            if data.get(f"title_{code}", "").strip() or data.get(f"body_{code}", "").strip()
        }

    def language_fields(self) -> list[tuple[str, Any, Any, Any]]:
        """(code, name, title field, body field) for each language, for the template."""
        return [(code, name, self[f"title_{code}"], self[f"body_{code}"]) for code, name in settings.LANGUAGES]


class CategoryForm(forms.Form):
    slug = forms.SlugField(label=_("Slug"), max_length=80)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=1_000_000, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name ({language})").format(language=name), required=False, max_length=100
            )

    @staticmethod
    def initial_for(category: Category) -> dict[str, Any]:
        initial: dict[str, Any] = {"slug": category.slug, "position": category.position}
        for code, name in (category.names or {}).items():
            initial[f"name_{code}"] = name
        return initial

    def names(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"name_{code}"]
            for code, _name in settings.LANGUAGES
            if self.cleaned_data.get(f"name_{code}", "").strip()
        }
