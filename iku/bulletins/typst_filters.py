"""Data into a Typst source: the one escaping rule, and the filters that build Typst code.

The rule: every value a Jinja ``{{ ... }}`` writes into a Typst template comes out as a Typst
*string literal* (``"..."``), never as markup or code. Inside a string literal only ``\\`` and
``"`` have a meaning (plus ``\\``-escapes), and :func:`typst_string` escapes both, so an agency
note reading ``#set page(width: 1cm)``, ``$x^2$``, ``#import ...`` or ``"]#(...)`` is text the
document prints. Templates put ``#`` in front where the text goes into markup
(``#{{ row.name }}`` renders ``#"Dinas ..."``, the string shown as text) and nothing in front
where it is an argument (``badge({{ code }})``).

The only other Typst code that shows data is built here, by filters that wrap such literals in
fixed code (``absent("belum tersedia")``, ``image(bytes("<svg ..."), format: "svg")``);
:class:`TypstCode` marks their result so the finaliser does not quote it a second time.

Text is also made printable before it is quoted (:func:`printable`): Typst's PDF/A export
refuses a character no embedded font can draw (PDF/A forbids the ``.notdef`` glyph), so one
emoji in a note would fail the whole bulletin; such characters become U+FFFD, which the vendored
fonts have. Free text is cut at the rules file's ``bulletin.max_note_chars`` (saying so), runs of
blank lines become one, and a long run without a break opportunity (a pasted URL, ``AAAA...``)
gets zero-width spaces so it wraps inside its table cell instead of running over the next
column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from jinja2 import Undefined
from markupsafe import Markup

from iku.formatting import Absent, MissingFigureError

#: What a character the vendored fonts cannot draw prints as (the fonts have it).
REPLACEMENT: Final = "\ufffd"
#: Appended to free text cut at ``bulletin.max_note_chars``.
TRUNCATION_MARK: Final = " … (dipotong; teks lengkap di sistem)"
#: A run of this many characters without a space gets a break opportunity every
#: ``BREAK_EVERY`` characters: the narrowest table column holds about a dozen characters.
LONG_RUN: Final = 24
BREAK_EVERY: Final = 12
ZERO_WIDTH_SPACE: Final = "\u200b"

#: Characters a Typst string literal cannot hold as they are: the escape character, the quote,
#: and every control or line/paragraph separator (written as ``\u{...}`` so no raw line break
#: or invisible control ever sits inside the source).
_NEEDS_ESCAPE: Final = re.compile(r'[\\"\x00-\x1f\x7f-\x9f\u2028\u2029]')
_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_LONG_RUN: Final = re.compile(rf"\S{{{LONG_RUN},}}")
_BLANK_LINES: Final = re.compile(r"\n(?:[ \t]*\n)+")
#: Bidirectional embeddings, overrides and isolates reorder how text is drawn (a note could
#: show a figure reversed); Indonesian text never needs them, so they print as U+FFFD.
_BIDI_CONTROLS: Final = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))


class TypstCode(str):
    """A piece of Typst code built by this module: written into the source as it is."""

    __slots__ = ()


class TemplateValueError(TypeError):
    """A template wrote a value that has no safe, formatted form (a raw float, None, a chart)."""


def typst_string(text: str) -> TypstCode:
    """``text`` as a Typst string literal: the one escaping rule of the PDF templates."""
    escaped = _NEEDS_ESCAPE.sub(
        lambda match: _ESCAPES.get(match.group(), f"\\u{{{ord(match.group()):x}}}"), text
    )
    return TypstCode(f'"{escaped}"')


def _character_class(code_points: Iterable[int]) -> str:
    """A regex character class body listing ``code_points`` as ranges."""
    ranges: list[tuple[int, int]] = []
    for point in sorted(code_points):
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in ranges
    )


@dataclass(frozen=True)
class TextPolicy:
    """How data text is made printable: the characters the fonts have, the longest text."""

    printable_chars: frozenset[int]
    max_chars: int
    #: Any character the fonts cannot draw (the line feed is kept: it is escaped).
    _unprintable: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for needed in (REPLACEMENT, ZERO_WIDTH_SPACE, "…"):
            if ord(needed) not in self.printable_chars:
                raise ValueError(f"the bulletin fonts must have U+{ord(needed):04X}")
        allowed = (self.printable_chars - _BIDI_CONTROLS) | {ord("\n")}
        pattern = re.compile(f"[^{_character_class(allowed)}]")
        object.__setattr__(self, "_unprintable", pattern)  # a frozen dataclass's derived field

    @classmethod
    def for_fonts(cls, fonts: Iterable[Path], max_chars: int) -> TextPolicy:
        """The characters every one of ``fonts`` has (text may be set in any of them)."""
        from fontTools.ttLib import TTFont

        covered: set[int] | None = None
        for path in fonts:
            cmap = set(TTFont(path, lazy=True).getBestCmap())
            covered = cmap if covered is None else covered & cmap
        if not covered:
            raise ValueError("no bulletin fonts found")
        return cls(frozenset(covered), max_chars)

    def printable(self, text: str) -> str:
        """``text`` as the PDF prints it: bounded, drawable, able to wrap."""
        # Cut first: a note of megabytes costs no more than one of max_chars from here on.
        if len(text) > self.max_chars:
            text = text[: self.max_chars].rstrip() + TRUNCATION_MARK
        text = unicodedata.normalize("NFC", text)  # "e" + combining accent -> one drawable "é"
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        text = _BLANK_LINES.sub("\n\n", text)  # line breaks are kept, empty screens are not
        text = self._unprintable.sub(REPLACEMENT, text)
        return _LONG_RUN.sub(_break_run, text)

    def text(self, value: str) -> TypstCode:
        """Free text as a Typst string literal, made printable first."""
        return typst_string(self.printable(value))


def _break_run(match: re.Match[str]) -> str:
    run = match.group()
    return ZERO_WIDTH_SPACE.join(run[i : i + BREAK_EVERY] for i in range(0, len(run), BREAK_EVERY))


def _defined(value: Any) -> None:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # StrictUndefined: names the missing variable


def make_finalize(policy: TextPolicy) -> Callable[[Any], str]:
    """Jinja's ``finalize`` for Typst templates: every ``{{ ... }}`` becomes a string literal.

    Text, an :class:`~iku.formatting.Absent`'s words and integers (ranks, versions, row
    numbers) are quoted; code from this module's filters passes as it is. Anything else is a
    template error: a float must be formatted (``angka``, ``persen``) so a reader never sees
    ``85.2448979``, ``None`` is a missing figure, and a chart must go through ``svg``.
    """

    def finalize(value: Any) -> str:
        _defined(value)
        if isinstance(value, TypstCode):
            return value
        if isinstance(value, Markup):
            raise TemplateValueError("markup (a chart) must be written with the svg filter")
        if isinstance(value, Absent):
            return policy.text(value.label)
        if isinstance(value, str):
            return policy.text(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return typst_string(str(value))
        if value is None:
            raise MissingFigureError("a template wrote None where a figure or text was expected")
        raise TemplateValueError(
            f"a template wrote a {type(value).__name__} ({value!r}); format it with a filter"
        )

    return finalize


def make_filters(
    policy: TextPolicy, formatters: Mapping[str, Callable[..., str]]
) -> dict[str, Callable[..., TypstCode]]:
    """The filters that build Typst code around quoted data.

    ``formatters`` are the Indonesian number and colour filters the HTML bulletins use
    (``angka``, ``persen``, ``selisih``, ``predikat_color``, ``predikat_text_color``), so both
    formats print every figure the same way.
    """
    formats: dict[str, Callable[[Any], str]] = {
        "angka": lambda value: formatters["angka"](value, 2, 0),
        "persen": formatters["persen"],
        "selisih": formatters["selisih"],
    }

    def figure(value: Any, kind: str = "angka") -> TypstCode:
        """A figure, or the words of an absent one (shown muted): ``absent("belum tersedia")``."""
        _defined(value)
        if isinstance(value, Absent):
            return TypstCode(f"absent({policy.text(value.label)})")
        if kind == "text" or isinstance(value, str):  # a qualitative IKU's grade ("WTP")
            if not isinstance(value, str):
                raise TemplateValueError(f"figure(kind='text') needs text, got {value!r}")
            return policy.text(value)
        try:
            return typst_string(formats[kind](value))
        except KeyError:
            raise TemplateValueError(f"unknown figure kind {kind!r}") from None

    def badge(predikat: Any) -> TypstCode:
        """A predikat badge in the rules file's colours, or the words of an absent one."""
        _defined(predikat)
        if isinstance(predikat, Absent):
            return TypstCode(f"absent({policy.text(predikat.label)})")
        code = predikat["code"]
        return TypstCode(
            f"badge({policy.text(code)}, "
            f"{typst_string(formatters['predikat_color'](code))}, "
            f"{typst_string(formatters['predikat_text_color'](code))})"
        )

    def capaian(value: Any, predikat: Any) -> TypstCode:
        """A capaian with its predikat badge; an absent capaian already says why, alone."""
        shown = figure(value, "persen")
        if isinstance(value, Absent) or isinstance(predikat, Absent):
            return shown
        return TypstCode(f"[#{shown}~#{badge(predikat)}]")

    def svg(chart: Any) -> TypstCode:
        """A chart from :mod:`iku.charts` as a Typst image, at its natural size (1 px = 0,75 pt,
        as in the HTML), the same SVG bytes as the HTML bulletin."""
        _defined(chart)
        if not isinstance(chart, Markup) or not chart.startswith("<svg"):
            raise TemplateValueError("the svg filter takes a chart from iku.charts")
        return TypstCode(f'image(bytes({typst_string(str(chart))}), format: "svg")')

    return {"figure": figure, "badge": badge, "capaian": capaian, "svg": svg}
