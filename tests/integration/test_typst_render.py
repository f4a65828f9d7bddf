"""Typst PDF bulletins of a seeded period on both databases, read back with pypdf."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select, update

from iku import models as m
from iku.bulletins.readmodel import PeriodData, load_period
from iku.bulletins.typst import (
    AGENCY_TEMPLATE,
    ISSUER,
    PROVINCE_TEMPLATE,
    TYPST_DIR,
    PdfMetadata,
    PdfRenderError,
    bulletin_metadata,
    compile_pdf,
    render_pdf,
)
from iku.bulletins.typst_filters import REPLACEMENT, TRUNCATION_MARK
from iku.bulletins.views import agency_context, province_context
from iku.calendar import format_datetime_id
from iku.db import session_scope
from iku.formatting import MissingFigureError
from iku.operations.render import summary as render_summary
from iku.rules import Rules
from iku.settings import TIMEZONE
from tests.conftest import PROJECT_ROOT
from tests.integration.bulletin_fixtures import (
    DBD_CODE,
    GENERATED_AT,
    NO_TARGET_CODE,
    NOT_DUE_CODE,
    PERIOD,
    REVISED_CODE,
    SCRIPT_NOTE,
)
from tests.integration.test_render import SAYS

#: A note with Typst and HTML syntax; the PDF must print it as it is.
HOSTILE_NOTE = (
    '#set page(width: 1cm) #import "@preview/cetz:0.3.0": * #read("/etc/passwd") $x^2$ '
    "[link](https://contoh.go.id) *tebal* _miring_ @ref <label> // komentar /* blok */ "
    'C:\\data\\laporan\\ kutip " dan \\" "] #panic("x") #[" #" <script>alert(1)</script>'
)


def _data(engine: Engine, rules: Rules) -> PeriodData:
    return load_period(engine, PERIOD, rules=rules, generated_at=GENERATED_AT)


def _agency(data: PeriodData, code: str) -> dict[str, Any]:
    return agency_context(data, next(a for a in data.agencies if a.code == code))


def _pdf(template: str, context: Mapping[str, Any], rules: Rules) -> bytes:
    return render_pdf(template, context, metadata=bulletin_metadata(template, context), rules=rules)


def _text(pdf: bytes) -> tuple[str, list[str]]:
    """The whole text with whitespace and break opportunities as one space, and each page's."""
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    joined = " ".join(pages)
    return re.sub(r"[\s\u200b]+", " ", joined), pages


def _squash(text: str) -> str:
    """Text without whitespace: table cells and paragraphs wrap words over lines."""
    return re.sub(r"[\s\u200b]+", "", text)


def _catalog(reader: PdfReader) -> Any:
    return reader.trailer["/Root"].get_object()


def _xmp(pdf: bytes) -> str:
    metadata = _catalog(PdfReader(io.BytesIO(pdf)))["/Metadata"].get_object()
    data: bytes = metadata.get_data()
    return data.decode("utf-8")


def _assert_archival(pdf: bytes, title: str) -> None:
    """PDF/A-2b identification, title, author and language in the info and XMP metadata."""
    reader = PdfReader(io.BytesIO(pdf))
    xmp = _xmp(pdf)
    assert "<pdfaid:part>2</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "<dc:language><rdf:Bag><rdf:li>id</rdf:li></rdf:Bag></dc:language>" in xmp
    assert f'<rdf:li xml:lang="x-default">{title}</rdf:li>' in xmp
    assert f"<rdf:li>{ISSUER}</rdf:li>" in xmp
    info = reader.metadata
    assert info is not None
    assert info.title == title
    assert info.author == ISSUER
    assert _catalog(reader)["/Lang"] == "id"
    # The creation date is the bulletin's generated_at (09.30 WIB = 02.30 UTC), not the clock.
    assert info["/CreationDate"] == "D:20261110023000Z"
    assert "<xmp:CreateDate>2026-11-10T02:30:00+00:00</xmp:CreateDate>" in xmp


def _assert_page_numbers(pages: list[str]) -> None:
    for number, page in enumerate(pages, start=1):
        assert f"Halaman {number} dari {len(pages)}" in page


def _fonts(pdf: bytes) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
        for xobject in resources.get("/XObject", {}).values():  # the SVG charts' text
            for font in xobject.get_object().get("/Resources", {}).get("/Font", {}).values():
                names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_agency_pdf_reads_back_in_indonesian_with_every_iku(seeded: Engine, rules: Rules) -> None:
    data = _data(seeded, rules)
    context = _agency(data, "DINKES")
    pdf = _pdf(AGENCY_TEMPLATE, context, rules)
    text, pages = _text(pdf)

    assert "Oktober 2026" in text
    assert "85,24%" in text  # LKj Lampung DBD example, Indonesian format
    assert "56,23" in text
    assert not re.search(r"\d\.\d{2}%", text)  # never an English decimal point
    assert "belum tersedia" in text  # a legitimately absent realisasi, said explicitly
    assert "tidak dapat dihitung" in text
    assert "Selasa, 10 November 2026 pukul 09.30 WIB" in text
    squashed = _squash(text)
    for indicator in next(a for a in data.agencies if a.code == "DINKES").indicators:
        assert indicator.code in text
        assert _squash(indicator.name) in squashed, indicator.name
    assert DBD_CODE in text
    assert _squash(SCRIPT_NOTE) in squashed  # the note with markup, printed as text
    # An agency bulletin with where to act and its open issues fits on two pages, numbered.
    assert 1 <= len(pages) <= 2
    _assert_page_numbers(pages)
    _assert_archival(pdf, "Buletin IKU Dinas Kesehatan Provinsi Lampung – Oktober 2026")
    assert _fonts(pdf) and all("DejaVuSans" in name for name in _fonts(pdf)), _fonts(pdf)

    # The same context gives the same bytes; another generation time, other bytes.
    assert _pdf(AGENCY_TEMPLATE, _agency(_data(seeded, rules), "DINKES"), rules) == pdf
    later = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT + timedelta(1))
    assert _pdf(AGENCY_TEMPLATE, _agency(later, "DINKES"), rules) != pdf


@pytest.mark.parametrize(("subject", "phrases"), SAYS)
def test_bulletins_say_the_basis_and_where_to_act(
    seeded: Engine, rules: Rules, subject: str, phrases: list[str]
) -> None:
    """The same phrases as the HTML bulletins (test_render.SAYS), in the Typst PDFs."""
    data = _data(seeded, rules)
    if subject == "province":
        template, context = "province.typ.j2", province_context(data)
    else:
        template, context = "agency.typ.j2", _agency(data, subject)
    text, pages = _text(_pdf(template, context, rules))
    for phrase in phrases:
        assert _squash(phrase) in _squash(text), phrase
    if subject == "province":
        assert "Perlu tindakan" in pages[0] and "Belum melapor" in pages[0]


def test_states_without_a_number_are_said_in_words(seeded: Engine, rules: Rules) -> None:
    pdf = _pdf(AGENCY_TEMPLATE, _agency(_data(seeded, rules), "PEMPROV"), rules)
    text, _ = _text(pdf)
    for words in ("tidak dijadwalkan", "tanpa target", "tidak dapat dihitung"):
        assert words in text
    assert NOT_DUE_CODE in text and NO_TARGET_CODE in text
    assert "no_target" not in text  # engine flag codes are shown in Indonesian


def test_province_pdf_has_agencies_rules_and_target_versions(seeded: Engine, rules: Rules) -> None:
    data = _data(seeded, rules)
    pdf = _pdf(PROVINCE_TEMPLATE, province_context(data), rules)
    text, pages = _text(pdf)
    assert "Oktober 2026" in text
    assert f"versi {rules.version}" in text
    assert "Perubahan PK" in text and REVISED_CODE in text
    assert "91,30%" in text  # reporting rate from the cycle's counts
    for agency in data.agencies:
        assert agency.code in text
    assert 3 <= len(pages) <= 6
    _assert_page_numbers(pages)
    # The attention table spans pages: its header row is repeated on each of them.
    header = "Perlu tindakan Perangkat daerah IKU Keterangan"
    assert sum(header in re.sub(r"\s+", " ", page) for page in pages) >= 2
    annex = next(i for i, page in enumerate(pages) if "Lampiran A. Kualitas data" in page)
    assert "IKU yang perlu perhatian" not in pages[annex]  # the annexes start a new page
    _assert_archival(pdf, "Buletin IKU Provinsi Lampung – Oktober 2026")
    assert _pdf(PROVINCE_TEMPLATE, province_context(_data(seeded, rules)), rules) == pdf


def test_same_bytes_in_another_process(seeded: Engine, rules: Rules) -> None:
    """Nothing of the process (hash seed, caches, clock) reaches the PDF."""
    context = _agency(_data(seeded, rules), "DINKES")
    metadata = bulletin_metadata(AGENCY_TEMPLATE, context)
    script = (
        "import pickle, sys\n"
        "from iku.bulletins.typst import render_pdf\n"
        "template, context, metadata, rules = pickle.load(sys.stdin.buffer)\n"
        "sys.stdout.buffer.write(render_pdf(template, context, metadata=metadata, rules=rules))\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        input=pickle.dumps((AGENCY_TEMPLATE, context, metadata, rules)),
        capture_output=True,
        check=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        timeout=120,
    ).stdout
    assert other == render_pdf(AGENCY_TEMPLATE, context, metadata=metadata, rules=rules)


def _set_note(engine: Engine, note: str) -> None:
    with session_scope(engine) as session:
        indicator_id = session.scalars(
            select(m.Indicator.id).where(m.Indicator.code == DBD_CODE)
        ).one()
        session.execute(
            update(m.Realisation)
            .where(m.Realisation.indicator_id == indicator_id)
            .values(note=note)
        )


def test_a_hostile_note_prints_as_text(seeded: Engine, rules: Rules) -> None:
    _set_note(seeded, HOSTILE_NOTE)
    data = _data(seeded, rules)
    assert data.notes  # the note reaches the context through the database
    pdf = _pdf(AGENCY_TEMPLATE, _agency(data, "DINKES"), rules)
    text, pages = _text(pdf)
    assert _squash(HOSTILE_NOTE) in _squash(text)
    assert PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width > 500  # still A4 (595 pt)
    assert len(pages) <= 2


def test_text_the_fonts_lack_does_not_fail_the_bulletin(seeded: Engine, rules: Rules) -> None:
    """Emoji and scripts outside the vendored fonts print as U+FFFD: PDF/A allows no .notdef."""
    _set_note(seeded, "Capaian naik 😀 中文 مرحبا selesai")
    pdf = _pdf(AGENCY_TEMPLATE, _agency(_data(seeded, rules), "DINKES"), rules)
    text, _ = _text(pdf)
    assert f"Capaian naik {REPLACEMENT} {REPLACEMENT * 2} {REPLACEMENT * 5} selesai" in text


def test_a_note_of_megabytes_is_cut(seeded: Engine, rules: Rules) -> None:
    _set_note(seeded, "Catatan yang sangat panjang tentang realisasi. " * 120_000)  # ~5,6 MB
    pdf = _pdf(AGENCY_TEMPLATE, _agency(_data(seeded, rules), "DINKES"), rules)
    text, pages = _text(pdf)
    assert TRUNCATION_MARK.strip() in text
    assert text.count("Catatan yang sangat panjang") < rules.bulletin.max_note_chars / 40
    assert len(pages) <= 2


def test_a_missing_figure_fails_the_render(seeded: Engine, rules: Rules) -> None:
    data = _data(seeded, rules)
    context = _agency(data, "DINKES")
    del context["indicators"][0]["capaian"]
    with pytest.raises(jinja2.UndefinedError):
        _pdf(AGENCY_TEMPLATE, context, rules)

    context = _agency(data, "DINKES")
    context["summary"]["capaian"] = None  # a None is a missing figure too, not a blank
    with pytest.raises(MissingFigureError):
        _pdf(AGENCY_TEMPLATE, context, rules)


def test_typst_errors_and_warnings_fail() -> None:
    with pytest.raises(PdfRenderError, match="unknown variable"):
        compile_pdf("#nonexistent", created_at=GENERATED_AT)
    # A warning means the PDF would not look as the template says: it fails too.
    with pytest.raises(PdfRenderError, match="unknown font family"):
        compile_pdf('#set text(font: "Comic Sans MS")\nHalo', created_at=GENERATED_AT)


def test_metadata_needs_a_time_zone_and_a_language_code() -> None:
    with pytest.raises(ValueError, match="time zone"):
        PdfMetadata(title="x", created_at=GENERATED_AT.replace(tzinfo=None))
    with pytest.raises(ValueError, match="ISO 639"):
        PdfMetadata(title="x", created_at=GENERATED_AT, language="Bahasa Indonesia")


def test_a_revision_says_so_first(seeded: Engine, rules: Rules) -> None:
    """A re-issued bulletin opens with its revision, what it replaces and what changed."""
    context = {
        **_agency(_data(seeded, rules), "DINKES"),
        "revision": {
            "number": 2,
            "replaces_issued_at": GENERATED_AT,
            "changes": ["DINKES-02 realisasi: 75,03 → 92,15", '#panic("x") ['],
            "more": 3,
        },
    }
    text, pages = _text(_pdf(AGENCY_TEMPLATE, context, rules))
    first = re.sub(r"[\s\u200b]+", " ", pages[0])
    assert "Revisi 2 · menggantikan terbitan" in first
    assert "DINKES-02 realisasi: 75,03 → 92,15" in first
    assert '#panic("x") [' in text and "Ditambah 3 perubahan lain" in text


# --- the cycle's PDFs: render_period as the flow and `iku render` run it -------------------------

#: The brief's hostile note (issue 19): Typst code, math, content brackets, a backslash, HTML.
HOSTILE_BRIEF_NOTE = "#let x = 1 $a$ [b] \\\\ <b>html</b> @ref"


def _render(engine: Engine, rules: Rules, out: Path, subjects: list[str] | None = None) -> Any:
    from iku.bulletins.jobs import render_period

    result = render_period(PERIOD, engine, output_dir=out, rules=rules, subjects=subjects)
    assert result.ok, result.failures
    return result


def _pdfs(result: Any) -> dict[str, bytes]:
    return {
        b.subject_key: b.pdf_path.read_bytes() for b in result.bulletins if b.pdf_path is not None
    }


def _utc_pdf_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")


@pytest.mark.slow
def test_a_cycle_renders_archival_pdfs_with_the_same_bytes_twice(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    """Every bulletin of the cycle: PDF/A-2b, dated by its data (not the clock), every IKU in
    Indonesian, numbered pages; a second render of the same cycle gives the same bytes."""
    first = _pdfs(_render(seeded, rules, tmp_path / "a"))
    data = load_period(seeded, PERIOD, rules=rules)
    assert set(first) == {"province"} | {a.code for a in data.agencies}
    for agency in data.agencies:
        pdf = first[agency.code]
        text, pages = _text(pdf)
        squashed = _squash(text)
        for indicator in agency.indicators:
            assert indicator.code in text, (agency.code, indicator.code)
            assert _squash(indicator.name) in squashed, indicator.name
        assert "Oktober 2026" in text and not re.search(r"\d\.\d{2}%", text)
        assert 1 <= len(pages) <= 3  # an agency with many IKU and issues takes a third
        _assert_page_numbers(pages)
        reader = PdfReader(io.BytesIO(pdf))
        assert reader.metadata is not None
        assert reader.metadata.author == rules.bulletin.issuer
        assert reader.metadata["/CreationDate"] == _utc_pdf_date(data.dated(agency.code))
        xmp = _xmp(pdf)
        assert "<pdfaid:part>2</pdfaid:part>" in xmp
        assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    province_pages = _text(first["province"])[1]
    assert 3 <= len(province_pages) <= 6
    _assert_page_numbers(province_pages)
    _assert_archival_undated(first["province"], "Buletin IKU Provinsi Lampung – Oktober 2026")
    # DINKES submitted: its bulletin and the province's carry the latest receipt; an agency
    # without a submission the first moment after the period, never the clock.
    assert data.dated("DINKES") == data.dated("province") < datetime.now(UTC)
    assert data.dated("BKD") == datetime(2026, 11, 1, tzinfo=TIMEZONE)
    assert "Data per" in _text(first["DINKES"])[0]

    second = _pdfs(_render(seeded, rules, tmp_path / "b"))
    assert {k: hashlib.sha256(v).hexdigest() for k, v in second.items()} == {
        k: hashlib.sha256(v).hexdigest() for k, v in first.items()
    }


def _assert_archival_undated(pdf: bytes, title: str) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    xmp = _xmp(pdf)
    assert "<pdfaid:part>2</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "<dc:language><rdf:Bag><rdf:li>id</rdf:li></rdf:Bag></dc:language>" in xmp
    assert f'<rdf:li xml:lang="x-default">{title}</rdf:li>' in xmp
    assert f"<rdf:li>{ISSUER}</rdf:li>" in xmp
    assert reader.metadata is not None and reader.metadata.title == title
    assert _catalog(reader)["/Lang"] == "id"


def _resubmit(engine: Engine, note: str) -> datetime:
    """DINKES sends a corrected file: a later receipt than any, another note on its DBD value."""
    received = (datetime.now(TIMEZONE) + timedelta(hours=1)).replace(second=0, microsecond=0)
    _set_note(engine, note)
    with session_scope(engine) as session:
        dinkes = session.scalars(select(m.Agency.id).where(m.Agency.code == "DINKES")).one()
        session.execute(
            update(m.Submission)
            .where(m.Submission.agency_id == dinkes, m.Submission.period == PERIOD)
            .values(received_at=received)
        )
    return received


@pytest.mark.slow
def test_a_rerun_renders_only_the_bulletins_whose_inputs_changed(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    first = _render(seeded, rules, tmp_path)
    files = {b.subject_key: b.pdf_path for b in first.bulletins if b.pdf_path is not None}
    stamps = {key: path.stat().st_mtime_ns for key, path in files.items()}
    assert not first.unchanged

    again = _render(seeded, rules, tmp_path)  # nothing changed: nothing typeset again
    assert {b.subject_key for b in again.unchanged} == set(files)
    assert {key: path.stat().st_mtime_ns for key, path in files.items()} == stamps
    assert render_summary(again)["unchanged"] == len(files)

    received = _resubmit(seeded, HOSTILE_BRIEF_NOTE)
    third = _render(seeded, rules, tmp_path)
    rendered = {b.subject_key for b in third.bulletins if b.rendered_by and b.audience != "index"}
    assert rendered == {"DINKES", "province"}
    assert {b.subject_key for b in third.unchanged} == set(files) - rendered
    for key, path in files.items():
        assert (path.stat().st_mtime_ns == stamps[key]) == (key not in rendered), key
    with session_scope(seeded) as session:
        rows = {
            b.subject_key: b.inputs_sha256
            for b in session.scalars(select(m.Bulletin).where(m.Bulletin.audience != "index"))
        }
    assert all(rows.values()) and len(set(rows.values())) == len(rows)
    # The hostile note prints as text, in the bulletin the cycle wrote.
    text, pages = _text(files["DINKES"].read_bytes())
    assert _squash(HOSTILE_BRIEF_NOTE) in _squash(text)
    assert f"data per {format_datetime_id(received)}" in text and len(pages) <= 2

    # Another template (or font, engine version) renders everything again.
    from iku.bulletins import jobs

    jobs.engine_fingerprint.cache_clear()
    jobs.source_fingerprint.cache_clear()
    template = TYPST_DIR / "partials" / "legend.typ.j2"
    original = template.read_bytes()
    try:
        template.write_bytes(original + b"\n")
        fourth = _render(seeded, rules, tmp_path, subjects=["BKD"])
        assert not fourth.unchanged
    finally:
        template.write_bytes(original)
        jobs.engine_fingerprint.cache_clear()
        jobs.source_fingerprint.cache_clear()
