"""The shipped catalogs: French covers every string the code marks, and each .mo matches its .po.

English is the source language: its catalog has no translations, so only the other languages are
checked for untranslated entries. The checks need GNU gettext (`make test` installs Debian's
`gettext` when missing); see docs/translations.md.
"""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

import carefront

PACKAGE = Path(carefront.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
# English is the source language (LANGUAGE_CODE): every other language must be translated in full.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _msgattrib(po: Path, *options: str) -> str:
    """The entries of `po` that msgattrib selects with `options`, as PO text (empty when none)."""
    return subprocess.run(
        ["msgattrib", "--no-obsolete", "--no-wrap", *options, str(po)], capture_output=True, text=True, check=True
    ).stdout


def _msgids(po_text: str) -> list[str]:
    """The msgid (and msgctxt) lines of PO text, the header entry aside."""
    return [line for line in po_text.splitlines() if line.startswith(("msgctxt ", "msgid ")) and line != 'msgid ""']


def _compiled(mo: Path) -> tuple[dict[Any, str], str]:
    """What Django reads from a .mo: its messages (the header aside) and its plural rule."""
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    messages = {key: value for key, value in catalog._catalog.items() if key != ""}  # type: ignore[attr-defined]
    return messages, catalog.info().get("plural-forms", "")


def test_catalogs_ship_for_every_language() -> None:
    for code, _name in settings.LANGUAGES:
        assert (LOCALE / code / "LC_MESSAGES" / "django.po").is_file(), code
        assert (LOCALE / code / "LC_MESSAGES" / "django.mo").is_file(), code


def test_translated_languages_include_french() -> None:
    assert "fr" in TRANSLATED


@pytest.mark.parametrize("language", TRANSLATED)
def test_makemessages_finds_nothing_untranslated(
    language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a copy of the package with its catalogs
    WHEN makemessages extracts every marked string of the code and templates into the language's catalog
    THEN no entry is untranslated or fuzzy, and msgfmt accepts every placeholder."""
    copy = tmp_path / "carefront"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.pyc", "static"))
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=[language], no_obsolete=True, verbosity=0)
    po = copy / "locale" / language / "LC_MESSAGES" / "django.po"
    untranslated = _msgids(_msgattrib(po, "--untranslated"))
    fuzzy = _msgids(_msgattrib(po, "--only-fuzzy"))
    where = f"carefront/locale/{language}/LC_MESSAGES/django.po (see docs/translations.md)"
    assert not untranslated, f"Translate these in {where}:\n" + "\n".join(untranslated)
    assert not fuzzy, f"Check these fuzzy entries in {where}, then drop their fuzzy flag:\n" + "\n".join(fuzzy)
    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po)], check=True)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_compiled_catalog_matches_its_source(language: str, tmp_path: Path) -> None:
    messages = LOCALE / language / "LC_MESSAGES"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(messages / "django.po")], check=True)
    assert _compiled(messages / "django.mo") == _compiled(fresh), "Run compilemessages (docs/translations.md)"


def test_the_french_catalog_is_the_one_django_uses() -> None:
    with translation.override("fr"):
        assert translation.gettext("Inbox") == "Boîte de réception"
        assert translation.ngettext("{count} ticket updated.", "{count} tickets updated.", 2) == (
            "{count} tickets mis à jour."
        )
        assert translation.pgettext("portal request status", "Solved") == "Résolue"
    with translation.override("en"):
        assert translation.gettext("Inbox") == "Inbox"
