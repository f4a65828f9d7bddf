"""PDF bulletins with Typst: Jinja2 writes a Typst source, one reused compiler typesets it.

The templates are ``report_templates/typst/*.typ.j2`` (the look is the plain Typst library
``report_templates/typst/bulletin.typ`` they import) and take the same context dicts as the HTML
bulletins (``province_context`` / ``agency_context``). Every value a template writes is a Typst
string literal, made by the one escaping rule of :mod:`iku.bulletins.typst_filters`; figures are
formatted by the same ``id_ID`` filters as the HTML.

The PDF is PDF/A-2b with the document's title, author and language, and its dates are the
bulletin's ``meta.generated_at``: the same context gives the same bytes, in any process, so a
changed sha256 means a changed bulletin. Each thread (one per worker process in a pool) keeps
one :class:`typst.Compiler` with the vendored fonts loaded, and the Typst source is passed to it
as bytes: no file is written, and fonts, the imported library and unchanged layout stay cached
between documents.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import typst
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from iku.bulletins.html import make_environment as make_html_environment
from iku.bulletins.typst_filters import TextPolicy, make_filters, make_finalize
from iku.formatting import is_absent, periode
from iku.rules import Rules, per_rules

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
TEMPLATES_DIR: Final = PROJECT_ROOT / "report_templates"
#: The Typst templates and library; also the compiler's root, the only folder a Typst source
#: could read from (the templates read nothing; data never becomes code).
TYPST_DIR: Final = TEMPLATES_DIR / "typst"
#: The vendored fonts, the only fonts the PDFs use (no system or Typst-embedded font).
FONTS_DIR: Final = TEMPLATES_DIR / "static" / "fonts"

PROVINCE_TEMPLATE: Final = "province.typ.j2"
AGENCY_TEMPLATE: Final = "agency.typ.j2"
PDF_STANDARD: Final = "a-2b"
#: Who issues the bulletins when no rules file says (``bulletin.issuer`` does, for both formats).
ISSUER: Final = "Pemerintah Provinsi Lampung"
LANGUAGE: Final = "id"
#: The HTML environment's filters that print figures, dates and predikat colours: the PDF
#: registers the same functions, so both formats print every figure alike.
FORMATTERS: Final = (
    "angka",
    "persen",
    "selisih",
    "rupiah",
    "tanggal",
    "jam",
    "waktu",
    "periode",
    "predikat_color",
    "predikat_text_color",
)
#: The context key the templates read the document metadata from.
METADATA_KEY: Final = "pdf_document"


class PdfRenderError(RuntimeError):
    """Typst refused a bulletin's source, or warned about it (a warning fails too: it means
    something would print differently than the template says)."""


@dataclass(frozen=True)
class PdfMetadata:
    """The PDF's document information and XMP metadata."""

    title: str
    #: Creation and modification date of the PDF: taken from the data, never the clock.
    created_at: datetime
    author: str = ISSUER
    #: BCP 47 language of the text (Typst's ``text.lang``; PDF ``/Lang`` and ``dc:language``).
    language: str = LANGUAGE

    def __post_init__(self) -> None:
        if self.created_at.utcoffset() is None:
            raise ValueError(f"created_at {self.created_at!r} needs a time zone")
        if not re.fullmatch(r"[a-z]{2,3}", self.language):
            raise ValueError(f"language {self.language!r} is not an ISO 639 code such as 'id'")


#: The PDF template of each HTML bulletin template (the HTML bulletins stay HTML).
PDF_TEMPLATES: Final = {"province.html": PROVINCE_TEMPLATE, "agency.html": AGENCY_TEMPLATE}


def bulletin_metadata(
    template: str, context: Mapping[str, Any], *, issuer: str = ISSUER
) -> PdfMetadata:
    """The metadata of a province or agency bulletin: the HTML page's title, its date (the
    data's, ``meta.generated_at``), the issuer (the rules file's ``bulletin.issuer``)."""
    meta = context["meta"]
    if template == PROVINCE_TEMPLATE:
        title = f"Buletin IKU Provinsi Lampung – {periode(meta['period'])}"
    elif template == AGENCY_TEMPLATE:
        title = f"Buletin IKU {context['agency']['name']} – {periode(meta['period'])}"
    else:
        raise ValueError(f"no bulletin metadata for template {template!r}")
    return PdfMetadata(title=title, created_at=meta["generated_at"], author=issuer)


@lru_cache(maxsize=1)
def _font_files() -> tuple[Path, ...]:
    fonts = tuple(sorted(FONTS_DIR.glob("*.ttf")))
    if not fonts:
        raise PdfRenderError(f"no fonts in {FONTS_DIR}")
    return fonts


@lru_cache(maxsize=8)
def _text_policy(max_chars: int) -> TextPolicy:
    return TextPolicy.for_fonts(_font_files(), max_chars)


@per_rules
def make_typst_environment(rules: Rules) -> Environment:
    """The Jinja2 environment of the Typst templates: strict undefined, no autoescaping (HTML
    escaping means nothing to Typst), and a finaliser that quotes every value it writes."""
    policy = _text_policy(rules.bulletin.max_note_chars)
    env = Environment(
        loader=FileSystemLoader(str(TYPST_DIR)),
        autoescape=False,
        undefined=StrictUndefined,
        finalize=make_finalize(policy),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    html_filters = make_html_environment(rules).filters
    formatters = {name: html_filters[name] for name in FORMATTERS}
    env.filters.update(formatters)
    env.filters.update(make_filters(policy, formatters))
    env.tests["absent"] = is_absent
    return env


def render_source(
    template: str, context: Mapping[str, Any], *, metadata: PdfMetadata, rules: Rules
) -> str:
    """The Typst source of a bulletin (what :func:`render_pdf` compiles; useful to inspect)."""
    if METADATA_KEY in context:
        raise ValueError(f"the context must not have a {METADATA_KEY!r} key (it is the PDF's)")
    document = {"title": metadata.title, "author": metadata.author, "language": metadata.language}
    env = make_typst_environment(rules)
    return env.get_template(template).render({**context, METADATA_KEY: document})


#: One compiler per thread: a process pool's worker has one, and threads never share one.
_local = threading.local()


def _compiler() -> typst.Compiler:
    compiler: typst.Compiler | None = getattr(_local, "compiler", None)
    if compiler is None:
        fonts = typst.Fonts(
            include_system_fonts=False,
            include_embedded_fonts=False,
            font_paths=[str(FONTS_DIR)],
        )
        compiler = _local.compiler = typst.Compiler(
            root=str(TYPST_DIR), font_paths=fonts, ignore_system_fonts=True
        )
    return compiler


def _fixed_offset(moment: datetime) -> datetime:
    """The binding takes a fixed UTC offset, not a zone such as Asia/Jakarta, and whole
    seconds (a PDF date has no fraction; a receipt time from the database has one)."""
    offset = moment.utcoffset()
    assert offset is not None  # PdfMetadata checked it
    return moment.astimezone(timezone(offset)).replace(microsecond=0)


def compile_pdf(source: str, *, created_at: datetime) -> bytes:
    """Typeset a Typst source to PDF/A-2b dated ``created_at`` with this thread's compiler."""
    try:
        pdf, warnings = _compiler().compile_with_warnings(
            input=source.encode("utf-8"),
            format="pdf",
            pdf_standards=PDF_STANDARD,
            timestamp=_fixed_offset(created_at),
        )
    except typst.TypstError as exc:
        raise PdfRenderError(f"Typst: {exc.message}\n{exc.diagnostic[:2000]}") from None
    if warnings:
        details = "; ".join(f"{w.message} {w.diagnostic[:300]}" for w in warnings)
        raise PdfRenderError(f"Typst warned: {details}")
    if not isinstance(pdf, bytes):
        raise PdfRenderError(f"Typst returned {type(pdf).__name__}, not one PDF")
    return pdf


def render_pdf(
    template: str, context: Mapping[str, Any], *, metadata: PdfMetadata, rules: Rules
) -> bytes:
    """A bulletin as PDF/A-2b bytes: the same context and metadata give the same bytes.

    ``template`` is a file of ``report_templates/typst/`` (:data:`PROVINCE_TEMPLATE`,
    :data:`AGENCY_TEMPLATE`); ``context`` what ``province_context`` / ``agency_context`` build.
    A missing value raises (``jinja2.UndefinedError``, ``MissingFigureError``), a value with no
    printable form raises ``TemplateValueError``, Typst's errors and warnings raise
    :class:`PdfRenderError`: a bulletin never comes out with an empty cell.
    """
    source = render_source(template, context, metadata=metadata, rules=rules)
    return compile_pdf(source, created_at=metadata.created_at)
