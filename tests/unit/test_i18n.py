"""The gettext catalogs: every message translated in both languages, placeholders kept, the
compiled .mo files equal to their .po files, and every message of the code in the catalogs."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from iku import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "iku.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    catalog = _catalog(language)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 150
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: no translation for {ids[0]!r}"
        assert "fuzzy" not in message.flags, ids[0]
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == wanted, (language, ids[0], string)


def test_both_catalogs_hold_the_same_messages() -> None:
    assert {m.id for m in _catalog("id") if m.id} == {m.id for m in _catalog("en") if m.id}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    compiled = gettext.GNUTranslations(
        (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "iku.mo").open("rb")
    )
    for message in _catalog(language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for n in range(len(message.string)):
                count = 2 if n or language == "id" else 1
                assert compiled.ngettext(message.id[0], message.id[1], count) in message.string
        else:
            assert compiled.gettext(message.id) == message.string, message.id


def test_every_message_in_the_code_is_in_the_catalogs(tmp_path: Path) -> None:
    """`make messages` was run: extracting again finds nothing the catalogs lack."""
    template = tmp_path / "iku.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    missing = extracted - {m.id for m in _catalog("id") if m.id}
    assert not missing, f"run `make messages` and translate: {sorted(map(str, missing))[:5]}"


def test_languages_are_chosen_by_context() -> None:
    assert i18n.gettext("Sign in") == "Masuk"
    with i18n.using("en"):
        assert i18n.gettext("Sign in") == "Sign in"
    assert i18n.accept_language("en-US,en;q=0.9,id;q=0.8") == "en"
    assert i18n.accept_language("fr-FR, id;q=0.5") == "id"
    assert i18n.accept_language("fr") is None
    assert i18n.normalise("in_ID") == "id"
