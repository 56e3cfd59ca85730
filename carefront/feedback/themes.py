"""Comment themes: what survey comments talk about, found by scikit-learn, with no hand-written keyword lists.

Comments are grouped by language (a theme's words belong to one language). For each language with at least
MIN_COMMENTS comments: TF-IDF vectors of the comments' words (English stop words removed for English, the only
language scikit-learn ships a list for; none removed elsewhere), factorised by NMF into k themes, k growing with
the number of comments (2 for a dozen, at most MAX_THEMES). Each comment belongs to the theme it weighs most on (a
comment of none of the theme's words belongs to none); a theme is labelled by its top terms and shown with the
comments that weigh most on it. NMF starts from NNDSVDA with a fixed random_state: the same comments give the same
themes. A language with fewer comments is reported as such ("not enough comments to find themes").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

MIN_COMMENTS = 10
MAX_THEMES = 6
TOP_TERMS = 4
EXAMPLES = 3
RANDOM_STATE = 0
# scikit-learn's only built-in stop word list.
STOP_WORDS = {"en": "english"}


@dataclass(frozen=True)
class Comment:
    """One comment to group: its id (the response's), text, language and score."""

    id: int
    text: str
    language: str
    score: int


@dataclass
class Theme:
    """A group of comments: its top terms (the label), how many comments, and the most typical of them."""

    terms: list[str]
    count: int
    examples: list[Comment]
    comment_ids: list[int] = field(default_factory=list)
    language: str = ""

    @property
    def label(self) -> str:
        return ", ".join(self.terms)


@dataclass
class LanguageThemes:
    """The themes of one language's comments, or why there are none."""

    language: str
    comments: int
    themes: list[Theme]
    enough: bool


def theme_count(comments: int) -> int:
    """How many themes to look for among this many comments: √(n/2), so 2 for a dozen, 4 for 30, at most 6."""
    return max(2, min(MAX_THEMES, round(math.sqrt(comments / 2))))


def _language(code: str) -> str:
    return (code or "").split("-")[0].split("_")[0].lower()


def themes_find(comments: Sequence[Comment], *, themes: int | None = None) -> list[LanguageThemes]:
    """The themes of each language's comments, languages with the most comments first."""
    by_language: dict[str, list[Comment]] = {}
    for comment in comments:
        if comment.text.strip():
            by_language.setdefault(_language(comment.language), []).append(comment)
    found = []
    for language, group in sorted(by_language.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(group) < MIN_COMMENTS:
            found.append(LanguageThemes(language=language, comments=len(group), themes=[], enough=False))
            continue
        groups = _themes_of(group, language=language, wanted=themes or theme_count(len(group)))
        found.append(LanguageThemes(language=language, comments=len(group), themes=groups, enough=bool(groups)))
    return found


def _themes_of(comments: list[Comment], *, language: str, wanted: int) -> list[Theme]:
    vectorizer = TfidfVectorizer(
        stop_words=STOP_WORDS.get(language), min_df=2, max_df=0.9, sublinear_tf=True, strip_accents=None
    )
    try:
        matrix = vectorizer.fit_transform([comment.text for comment in comments])
    except ValueError:  # no word is left once stop words and rare words are taken out
        return []
    terms = vectorizer.get_feature_names_out()
    count = min(wanted, matrix.shape[1], len(comments) - 1)
    if count < 2:
        return []
    model = NMF(n_components=count, init="nndsvda", random_state=RANDOM_STATE, max_iter=1000)
    weights = model.fit_transform(matrix)
    components = model.components_
    best = weights.argmax(axis=1)
    strongest = weights.max(axis=1)
    themes = []
    for index in range(count):
        members = [row for row in range(len(comments)) if best[row] == index and strongest[row] > 0]
        if not members:
            continue
        ranked = sorted(members, key=lambda row: (-weights[row, index], comments[row].id))
        # The most typical comments, each text once (customers often write the same few words).
        examples: list[Comment] = []
        for row in ranked:
            if len(examples) == EXAMPLES:
                break
            if all(comments[row].text.strip().casefold() != seen.text.strip().casefold() for seen in examples):
                examples.append(comments[row])
        top = np.argsort(-components[index], kind="stable")[:TOP_TERMS]
        themes.append(
            Theme(
                terms=[str(terms[term]) for term in top if components[index, term] > 0],
                count=len(members),
                examples=examples,
                comment_ids=[comments[row].id for row in ranked],
                language=language,
            )
        )
    themes.sort(key=lambda theme: (-theme.count, theme.label))
    return themes
