"""What people read, in Bahasa Indonesia (the default) or English, through gettext catalogs.

Messages are written in English in the code (``_("Sign in")``) and translated by the catalogs
``iku/locale/<id|en>/LC_MESSAGES/iku.po``, compiled to the ``.mo`` files beside them (``make
messages`` extracts, updates and compiles; a test holds every message translated in both
languages and the ``.mo`` equal to its ``.po``). The language of a message is the one in force
in the current context: the web application sets it per request (the account's preference,
``?lang=``, ``Accept-Language``, else the ``IKU_LANGUAGE`` setting), the CLI from the
``IKU_LANGUAGE`` setting (:func:`configured_language`, read before the command line is parsed).

Placeholders are named, ``%(name)s``, so a translation can move them. A module-level constant
is marked with :func:`N_` and translated where it is used (``_(MSG_X, name=...)``): the
language is the one of the moment it is shown, not of the moment the module was imported.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

LANGUAGES: Final = ("id", "en")
DEFAULT_LANGUAGE: Final = "id"
DOMAIN: Final = "iku"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
#: The setting that chooses the language (iku.settings.Settings.language, prefix IKU_).
SETTING: Final = "IKU_LANGUAGE"

_process_default = [DEFAULT_LANGUAGE]
_current: ContextVar[str | None] = ContextVar("iku_language", default=None)


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of a language (a missing catalog is an installation error)."""
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def normalise(language: str | None) -> str | None:
    """``"en-US"`` -> ``"en"``; None for a language the catalogs do not have."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-", 1)[0]
    if code == "in":  # the old ISO code of Indonesian, still sent by some systems
        code = "id"
    return code if code in LANGUAGES else None


def set_default_language(language: str) -> None:
    """The process's language where no context chose one (the CLI: ``IKU_LANGUAGE``)."""
    _process_default[0] = normalise(language) or DEFAULT_LANGUAGE


def configured_language(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> str:
    """The language the ``IKU_LANGUAGE`` setting chooses, read as the settings read it (the
    environment first, then the ``.env`` file of the working directory) without building the
    settings: the CLI needs it before parsing its command line, and ``iku --help`` must not pay
    for pydantic. Unknown or empty: Bahasa Indonesia."""
    environ = os.environ if environ is None else environ
    # pydantic-settings reads names case-insensitively (iku_language=en works there too)
    value = next((v for k, v in environ.items() if k.upper() == SETTING), None)
    if value is None:
        value = _from_env_file(Path(".env") if env_file is None else env_file)
    return normalise(value) or DEFAULT_LANGUAGE


def _from_env_file(path: Path) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):  # no .env (the usual case) or an unreadable one
        return None
    found = None
    for line in lines:
        text = line.strip()
        if text.startswith("export "):
            text = text[len("export ") :].strip()
        key, sep, value = text.partition("=")
        if sep and key.strip().upper() == SETTING:
            value = value.split(" #", 1)[0].strip()
            found = value.strip("'\"").strip()  # the last assignment wins, as in python-dotenv
    return found


@contextmanager
def process_language(language: str | None) -> Iterator[str]:
    """The process's default language inside the block, the earlier one restored after it (one
    CLI invocation; a test process invokes the CLI many times, in either language)."""
    previous = _process_default[0]
    set_default_language(language or DEFAULT_LANGUAGE)
    try:
        yield _process_default[0]
    finally:
        _process_default[0] = previous


def current_language() -> str:
    return _current.get() or _process_default[0]


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Messages in ``language`` inside the block (the default when None or unknown)."""
    chosen = normalise(language) or _process_default[0]
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def activate(language: str | None) -> str:
    """Set the language of the current context (an ASGI request's task) and return it."""
    chosen = normalise(language) or _process_default[0]
    _current.set(chosen)
    return chosen


def gettext(message: str, /, **params: Any) -> str:
    """``message`` in the current language, with ``%(name)s`` placeholders filled."""
    text = translations(current_language()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> str:
    text = translations(current_language()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet (module-level constants)."""
    return message


_ = gettext


def accept_language(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header the catalogs have, by weight."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        code = normalise(tag)
        if code and weight > 0:
            choices.append((-weight, position, code))
    return min(choices)[2] if choices else None
