"""The Typst escaping rule: data always stays a string, whatever it contains.

Each hostile text is quoted with :func:`typst_string` and handed to the Typst compiler itself,
which must evaluate the literal back to exactly that text (no markup, no code, nothing read).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import typst
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment, StrictUndefined, UndefinedError
from markupsafe import Markup

from iku.bulletins.typst import make_typst_environment
from iku.bulletins.typst_filters import (
    BREAK_EVERY,
    REPLACEMENT,
    TRUNCATION_MARK,
    ZERO_WIDTH_SPACE,
    TemplateValueError,
    TextPolicy,
    TypstCode,
    make_finalize,
    typst_string,
)
from iku.formatting import Absent, MissingFigureError
from iku.rules import load_rules
from tests.conftest import RULES_FILE

#: Texts an agency could type into a note, each breaking out of a naive escaping scheme.
HOSTILE = [
    pytest.param("#set page(width: 1cm)", id="set-rule"),
    pytest.param('#import "@preview/cetz:0.3.0": *', id="package-import"),
    pytest.param('#read("/etc/passwd")', id="file-read"),
    pytest.param("$x^2$", id="math"),
    pytest.param("[link](https://contoh.go.id)", id="brackets"),
    pytest.param("*tebal* dan _miring_", id="strong-emph"),
    pytest.param("@ref dan <label>", id="reference-label"),
    pytest.param("// komentar", id="line-comment"),
    pytest.param("/* blok */", id="block-comment"),
    pytest.param("C:\\data\\laporan\\", id="backslashes"),
    pytest.param('kata "kutip" dan \\"', id="quotes"),
    pytest.param('"] #panic("x") #["', id="string-breakout"),
    pytest.param('#"', id="hash-quote"),
    pytest.param('\\" + read("/etc/passwd") + "', id="escaped-quote-breakout"),
    pytest.param("\\u{41} bukan A", id="unicode-escape-text"),
    pytest.param("<script>alert(1)</script> &amp;", id="html"),
    pytest.param("{{ meta }} {% raw %} {# x #}", id="jinja-syntax"),
    pytest.param("baris satu\nbaris dua\r\nbaris tiga\rempat", id="line-breaks"),
    pytest.param("nul \x00 esc \x1b del \x7f c1 \x85 ls \u2028 ps \u2029", id="controls"),
    pytest.param("😀 中文 مرحبا \U0010ffff", id="other-scripts"),
    pytest.param("=== judul\n- daftar\n+ nomor\n/ istilah: x", id="block-markup"),
    pytest.param("`raw` ```py\nx``` ~ -- --- ... '", id="shorthands"),
]


def _evaluate(literal: str) -> str:
    """What Typst makes of a literal: the string value it evaluates to."""
    source = f"#metadata({literal}) <probe>".encode()
    value = typst.query(source, "<probe>", field="value", one=True, ignore_system_fonts=True)
    result = json.loads(value)
    assert isinstance(result, str)
    return result


@pytest.mark.parametrize("text", HOSTILE)
def test_a_quoted_text_is_exactly_that_text_to_typst(text: str) -> None:
    literal = typst_string(text)
    assert literal.startswith('"') and literal.endswith('"')
    assert "\n" not in literal and "\r" not in literal  # no raw line break in the source
    assert _evaluate(literal) == text


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_any_text_round_trips(text: str) -> None:
    assert _evaluate(typst_string(text)) == text


@pytest.fixture(scope="module")
def policy() -> TextPolicy:
    from iku.bulletins.typst import FONTS_DIR

    return TextPolicy.for_fonts(sorted(FONTS_DIR.glob("*.ttf")), max_chars=200)


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        # What the vendored fonts draw passes unchanged (Indonesian, Latin-1, punctuation).
        ("Capaian 85,24% – “baik” … ≥ 91", "Capaian 85,24% – “baik” … ≥ 91"),
        # An emoji or another script the fonts lack: Typst's PDF/A export would refuse the
        # whole document (PDF/A forbids .notdef), so each such character prints as U+FFFD.
        ("Bagus 😀", f"Bagus {REPLACEMENT}"),
        ("中文", REPLACEMENT * 2),
        # "e" + a combining accent is composed into the "é" the fonts have.
        ("Cafe\u0301", "Café"),
        # Controls become U+FFFD; tabs are spaces; CR and CRLF are line feeds.
        ("a\x00b\x1bc", f"a{REPLACEMENT}b{REPLACEMENT}c"),
        ("a\tb\r\nc\rd", "a b\nc\nd"),
        # Blank lines collapse to one: a note of newlines must not become empty pages.
        ("a\n\n\n \n\nb", "a\n\nb"),
        # A bidi override would draw the text in another order than it is stored.
        ("abc\u202edef", f"abc{REPLACEMENT}def"),
    ],
)
def test_printable_text(policy: TextPolicy, text: str, printed: str) -> None:
    assert policy.printable(text) == printed


def test_a_long_run_without_spaces_gets_break_opportunities(policy: TextPolicy) -> None:
    word = "A" * 60
    printed = policy.printable(f"awal {word} akhir")
    pieces = printed.split(" ")[1].split(ZERO_WIDTH_SPACE)
    assert [len(p) for p in pieces] == [BREAK_EVERY] * (60 // BREAK_EVERY)
    assert printed.replace(ZERO_WIDTH_SPACE, "") == f"awal {word} akhir"
    assert ZERO_WIDTH_SPACE not in policy.printable("Pertanggungjawaban DINKES-01")  # short words


def test_long_text_is_cut_and_says_so(policy: TextPolicy) -> None:
    printed = policy.printable("kata " * 100_000)
    assert printed.endswith(TRUNCATION_MARK)
    assert len(printed) <= 200 + len(TRUNCATION_MARK)
    assert policy.printable("x" * 10).endswith("x")


def test_the_finaliser_quotes_text_and_refuses_what_has_no_printed_form(
    policy: TextPolicy,
) -> None:
    finalize = make_finalize(policy)
    assert finalize("Dinas #1") == '"Dinas #1"'
    assert finalize(Absent("belum tersedia")) == '"belum tersedia"'
    assert finalize(12) == '"12"'
    assert finalize(TypstCode('absent("x")')) == 'absent("x")'  # filter output passes as is
    with pytest.raises(TemplateValueError, match="format it with a filter"):
        finalize(85.2448979)  # a float must go through angka/persen
    with pytest.raises(TemplateValueError):
        finalize(True)
    with pytest.raises(TemplateValueError):
        finalize(datetime(2026, 11, 10))
    with pytest.raises(MissingFigureError):
        finalize(None)
    with pytest.raises(TemplateValueError, match="svg filter"):
        finalize(Markup("<svg></svg>"))  # a chart (or |safe) never becomes code


def _render(source: str, **context: object) -> str:
    return make_typst_environment(load_rules(RULES_FILE)).from_string(source).render(context)


def test_templates_cannot_bypass_the_rule() -> None:
    render = _render
    assert render("#{{ x }}", x='"] #panic()') == '#"\\"] #panic()"'
    # Jinja's own escape hatches give Markup, which the finaliser refuses.
    with pytest.raises(TemplateValueError):
        render("{{ x|safe }}", x="#panic()")
    with pytest.raises(UndefinedError):
        render("{{ missing }}")
    with pytest.raises(UndefinedError):
        render("{{ missing|figure }}")
    assert render("{{ x|figure }}", x=Absent("belum tersedia")) == 'absent("belum tersedia")'
    assert render("{{ x|figure('persen') }}", x=85.2448979591837) == '"85,24%"'
    assert render("{{ x|figure }}", x=1250.0) == '"1.250"'
    with pytest.raises(TemplateValueError):
        render("{{ x|svg }}", x="<svg>not a chart from iku.charts</svg>")


def test_no_template_writes_a_semicolon_right_after_a_value() -> None:
    """In Typst markup ``#"text";`` ends the expression and drops the semicolon."""
    from iku.bulletins.typst import TYPST_DIR

    templates = sorted(TYPST_DIR.rglob("*.typ.j2"))
    assert templates
    for path in templates:
        assert "}};" not in path.read_text(encoding="utf-8"), path


def test_the_typst_environment_has_no_autoescape_and_strict_undefined() -> None:
    env = make_typst_environment(load_rules(RULES_FILE))
    assert isinstance(env, Environment)
    assert env.undefined is StrictUndefined
    assert env.autoescape is False
