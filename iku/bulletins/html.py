"""The Jinja2 environment of bulletins and pages: strict undefined, autoescaping, id_ID filters."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape

from iku.formatting import (
    MissingFigureError,
    angka,
    is_absent,
    jam,
    periode,
    persen,
    rupiah,
    selisih,
    tanggal,
    waktu,
)
from iku.rules import Rules, per_rules

log = logging.getLogger(__name__)


PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
TEMPLATES_DIR: Final = PROJECT_ROOT / "report_templates"
STATIC_DIR: Final = TEMPLATES_DIR / "static"


def _text_color(hex_color: str) -> str:
    """Black or white, whichever reads better on the colour (WCAG relative luminance)."""
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    on_white = 1.05 / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return "#000000" if on_black > on_white else "#ffffff"


def _strict(function: Callable[..., str]) -> Callable[..., str]:
    """A filter that raises the template's undefined error when given an undefined value."""

    def checked(value: Any, *args: Any, **kwargs: Any) -> str:
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return function(value, *args, **kwargs)

    checked.__name__ = function.__name__
    checked.__doc__ = function.__doc__
    return checked


@per_rules
def make_environment(rules: Rules) -> Environment:
    """The Jinja2 environment: strict undefined, HTML autoescaping, Indonesian filters."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    colors = {band.code: band.color for band in rules.predikat.bands}

    def predikat_color(code: str) -> str:
        try:
            return colors[code]
        except KeyError:
            raise MissingFigureError(f"predikat {code!r} has no colour in the rules file") from None

    def predikat_text_color(code: str) -> str:
        return _text_color(predikat_color(code))

    filters: dict[str, Callable[..., str]] = {
        "angka": angka,
        "persen": persen,
        "selisih": selisih,
        "rupiah": rupiah,
        "tanggal": tanggal,
        "jam": jam,
        "waktu": waktu,
        "periode": periode,
        "predikat_color": predikat_color,
        "predikat_text_color": predikat_text_color,
    }
    env.filters.update({name: _strict(function) for name, function in filters.items()})
    env.tests["absent"] = is_absent
    return env


def render_html(env: Environment, template: str, context: Mapping[str, Any]) -> str:
    """Render a template; a leftover ``{{`` or ``{%`` is an error, never a silent output."""
    html = env.get_template(template).render(context)
    for marker in ("{{", "{%"):
        if marker in html:
            raise RuntimeError(f"{template}: unrendered template syntax {marker!r} in the output")
    return html


def copy_static(out: Path) -> None:
    """Copy the vendored CSS and fonts next to the HTML files (they link ``static/``). Contents
    only, not the checkout's permissions: the copies get the process's (``IKU_UMASK``)."""
    target = out / "static"
    for source in sorted(STATIC_DIR.rglob("*")):
        destination = target / source.relative_to(STATIC_DIR)
        if source.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
