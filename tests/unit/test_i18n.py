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


#: The modules whose messages the CLI prints: its own, the error boundary, and the operation
#: errors it reports (what a person at the shell reads).
CLI_SOURCES = (
    *sorted((ROOT / "iku" / "cli").glob("*.py")),
    ROOT / "iku" / "errors.py",
    ROOT / "iku" / "flags.py",
    ROOT / "iku" / "accounts.py",
    ROOT / "iku" / "calendar.py",
    ROOT / "iku" / "locks.py",
    ROOT / "iku" / "migrate.py",
    ROOT / "iku" / "ingest" / "service.py",
    ROOT / "quality" / "review.py",
)


def _cli_messages() -> set[str]:
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

    found: set[str] = set()
    for path in CLI_SOURCES:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=DEFAULT_KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_of_the_cli_is_translated(language: str) -> None:
    messages = _cli_messages()
    assert len(messages) > 250  # the CLI's texts are marked (a module lost its marks otherwise)
    catalog = {m.id if isinstance(m.id, str) else m.id[0]: m for m in _catalog(language) if m.id}
    for message in sorted(messages):
        entry = catalog.get(message)
        assert entry is not None, f"{language}: {message!r} is not in the catalog (make messages)"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(s.strip() for s in strings), f"{language}: no translation for {message!r}"


def test_every_help_text_of_the_cli_is_a_message_of_the_catalogs() -> None:
    """Typer builds help from ``help=`` (or a docstring); each must be a marked msgid, or the
    help page would show it untranslated."""
    import typer

    from iku.cli import app

    catalog = {m.id for m in _catalog("id") if m.id}
    pending = [typer.main.get_command(app)]
    seen = 0
    while pending:
        command = pending.pop()
        texts = [command.help, *(getattr(p, "help", None) for p in command.params)]
        for text in texts:
            if text:
                seen += 1
                assert text in catalog, f"{command.name}: help {text!r} is not a catalog message"
        pending.extend(getattr(command, "commands", {}).values())
    assert seen > 100


@pytest.mark.parametrize(
    ("environ", "env_file", "expected"),
    [
        # nothing set: Bahasa Indonesia
        ({}, None, "id"),
        # the environment, as the settings read it (any case, a region, spaces)
        ({"IKU_LANGUAGE": "en"}, None, "en"),
        ({"iku_language": "EN"}, None, "en"),
        ({"IKU_LANGUAGE": " en-GB "}, None, "en"),
        ({"IKU_LANGUAGE": "id"}, "IKU_LANGUAGE=en\n", "id"),  # the environment wins over .env
        # a language the catalogs lack, or an empty one: the default
        ({"IKU_LANGUAGE": "fr"}, None, "id"),
        ({"IKU_LANGUAGE": ""}, None, "id"),
        # the .env file: quotes, export, comments, the last assignment
        ({}, "IKU_LANGUAGE=en\n", "en"),
        ({}, 'export IKU_LANGUAGE="en"  # English\n', "en"),
        ({}, "# IKU_LANGUAGE=en\nIKU_DATABASE_URL=sqlite://\n", "id"),
        ({}, "IKU_LANGUAGE=en\nIKU_LANGUAGE=id\n", "id"),
    ],
)
def test_the_configured_language(
    tmp_path: Path, environ: dict[str, str], env_file: str | None, expected: str
) -> None:
    path = tmp_path / ".env"
    if env_file is not None:
        path.write_text(env_file, encoding="utf-8")
    assert i18n.configured_language(environ, path) == expected


def test_the_process_language_is_restored() -> None:
    with i18n.process_language("en"):
        assert i18n.gettext("Aborted.") == "Aborted."
        with i18n.using("id"):
            assert i18n.gettext("Aborted.") == "Dibatalkan."
    assert i18n.current_language() == "id"


@pytest.mark.parametrize(
    ("headers", "query", "setting", "expected"),
    [
        # a request that chooses no language gets the IKU_LANGUAGE setting
        ([], b"", "id", "id"),
        ([], b"", "en", "en"),
        # the person's choice wins over the setting
        ([(b"accept-language", b"id-ID,id;q=0.9")], b"", "en", "id"),
        ([(b"cookie", b"iku_lang=en")], b"", "id", "en"),
        ([], b"lang=id", "en", "id"),
        # a browser language the catalogs lack falls back to the setting
        ([(b"accept-language", b"fr-FR")], b"", "en", "en"),
    ],
)
def test_the_web_falls_back_to_the_language_setting(
    headers: list[tuple[bytes, bytes]], query: bytes, setting: str, expected: str
) -> None:
    from iku.web.middleware import request_language

    scope = {"type": "http", "headers": headers, "query_string": query}
    assert request_language(scope, setting)[0] == expected
