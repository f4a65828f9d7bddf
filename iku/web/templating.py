"""Jinja2 for the web pages: autoescaped, strict, translated through :mod:`iku.i18n`."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from iku import i18n
from iku.settings import TIMEZONE

WEB_DIR: Final = Path(__file__).resolve().parent
TEMPLATES_DIR: Final = WEB_DIR / "templates"
STATIC_DIR: Final = WEB_DIR / "static"


@lru_cache(maxsize=1)
def static_versions() -> dict[str, str]:
    """A short content hash per static file: URLs carry it, so browsers may cache them for a
    year and still get a changed file at once."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        for path in STATIC_DIR.iterdir()
        if path.is_file()
    }


def static_url(name: str) -> str:
    return f"/static/{name}?v={static_versions()[name]}"


def when(value: datetime | None) -> str:
    """A timestamp in WIB for people: ``2 Nov 2026 09.30`` (the month in the page language)."""
    if value is None:
        return "–"
    from babel.dates import format_datetime

    locale = "id_ID" if i18n.current_language() == "id" else "en_GB"
    local = value.astimezone(TIMEZONE)
    return format_datetime(local, "d MMM y HH.mm", locale=locale) + " WIB"


def number(value: float | None, digits: int = 2) -> str:
    """A figure in Indonesian format (``85,24``): the format of the data, in both languages."""
    if value is None:
        return "–"
    from iku.formatting import angka

    return angka(value, digits, 0)


def figure(value: Any, digits: int = 2, suffix: str = "%") -> str:
    """A figure of the read models: a number with ``suffix``, or the reason it has none (the
    bulletins' ``Absent``: "belum tersedia", "tanpa target"), or a dash."""
    from iku.formatting import is_absent

    if value is None:
        return "–"
    if is_absent(value):
        return str(value.label)
    if isinstance(value, bool):
        return str(value)
    return number(float(value), digits) + suffix


def is_absent_value(value: Any) -> bool:
    from iku.formatting import is_absent

    return bool(is_absent(value))


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.translations(i18n.current_language()).gettext(message),
        ngettext=lambda s, p, n: i18n.translations(i18n.current_language()).ngettext(s, p, n),
        newstyle=True,
    )
    env.globals["static"] = static_url
    env.globals["current_language"] = i18n.current_language
    env.filters["when"] = when
    env.filters["number"] = number
    env.filters["figure"] = figure
    env.tests["absent"] = is_absent_value
    return env


@lru_cache(maxsize=1)
def environment() -> Environment:
    return make_environment()


def render(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)
