"""Bulletins rendered from fixture rows on both databases: HTML, PDF (Typst) read back, manifest,
rows."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jinja2
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, delete, select
from typer.testing import CliRunner

from iku import migrate
from iku import models as m
from iku.bulletins.html import make_environment, render_html
from iku.bulletins.jobs import (
    RenderResult,
    finish_render,
    plan_jobs,
    plan_render,
    render_period,
    run_job,
    run_jobs,
)
from iku.bulletins.readmodel import RenderError, load_period
from iku.bulletins.typst import PdfRenderError, compile_pdf
from iku.bulletins.views import agency_context
from iku.catalog import load_catalog
from iku.cli import app
from iku.db import session_scope
from iku.formatting import MissingFigureError
from iku.rules import Rules, load_rules
from iku.runtime import process_runtime
from tests.conftest import CATALOG_DIR, RULES_FILE
from tests.integration.bulletin_fixtures import (
    DBD_CODE,
    GENERATED_AT,
    HELD_CODE,
    INCOMPLETE_CODE,
    NO_TARGET_CODE,
    NOT_DUE_CODE,
    PERIOD,
    REVISED_CODE,
    SCRIPT_NOTE,
    STALE_CODE,
    seed_period,
)


def _pdf_text(path: Path) -> tuple[str, int]:
    """The PDF's text with runs of whitespace as one space (cells wrap words over lines)."""
    reader = PdfReader(path)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"[\s\u200b]+", " ", text), len(reader.pages)


def _squash(text: str) -> str:
    """Text without whitespace (or the break opportunities of long runs): cells wrap names."""
    return re.sub(r"[\s\u200b]+", "", text)


def _agency_codes(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(m.Agency.code, m.Indicator.code, m.Indicator.name)
            .join(m.Indicator, m.Indicator.agency_id == m.Agency.id)
            .where(m.Indicator.is_active.is_(True), m.Agency.is_active.is_(True))
        )
        result: dict[str, list[tuple[str, str]]] = {}
        for agency, code, name in rows:
            result.setdefault(agency, []).append((code, name))
        return result


@pytest.mark.slow
def test_render_period_writes_every_bulletin_manifest_and_rows(
    seeded: Engine, tmp_path: Path
) -> None:
    out_root = tmp_path / "out"
    result = render_period(
        PERIOD, seeded, output_dir=out_root, rules=load_rules(RULES_FILE), generated_at=GENERATED_AT
    )
    assert result.ok, result.failures
    out = out_root / PERIOD
    agencies = _agency_codes(seeded)
    expected = {"provinsi.html", "provinsi.pdf", "index.html"}
    expected |= {f"opd/{code}.{ext}" for code in agencies for ext in ("html", "pdf")}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {f["file"] for f in manifest["files"]} == expected
    assert manifest["period"] == PERIOD
    assert manifest["rules_version"] == load_rules(RULES_FILE).version
    for entry in manifest["files"]:
        payload = (out / entry["file"]).read_bytes()
        assert hashlib.sha256(payload).hexdigest() == entry["sha256"]
        if entry["file"].endswith(".html"):
            text = payload.decode("utf-8")
            assert "{{" not in text and "{%" not in text
            assert "None" not in re.sub(r"<[^>]+>", " ", text)  # a None never reaches a reader
    # The HTML links the vendored stylesheet copied next to it; nothing comes from a CDN.
    assert (out / "static" / "bulletin.css").is_file()
    assert 'href="../static/bulletin.css"' in (out / "opd" / "DINKES.html").read_text()
    assert "http://" not in (out / "static" / "bulletin.css").read_text()
    assert "https://" not in (out / "static" / "bulletin.css").read_text()

    with session_scope(seeded) as session:
        rows = session.scalars(select(m.Bulletin).where(m.Bulletin.cycle_id == result.cycle_id))
        bulletins = {(b.audience, b.subject_key): b for b in rows}
    assert set(bulletins) == {("province", "province"), ("index", "index")} | {
        ("agency", code) for code in agencies
    }
    dinkes = bulletins[("agency", "DINKES")]
    assert dinkes.pdf_path is not None
    assert hashlib.sha256(Path(dinkes.pdf_path).read_bytes()).hexdigest() == dinkes.sha256

    # A rerun replaces: same rows (same ids), same HTML bytes for the same data.
    html_before = (out / "opd" / "DINKES.html").read_bytes()
    again = render_period(
        PERIOD,
        seeded,
        output_dir=out_root,
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=["DINKES"],
    )
    assert again.ok
    with session_scope(seeded) as session:
        ids = sorted(
            session.scalars(select(m.Bulletin.id).where(m.Bulletin.cycle_id == result.cycle_id))
        )
    assert ids == sorted(b.id for b in bulletins.values())
    assert (out / "opd" / "DINKES.html").read_bytes() == html_before


def test_agency_pdf_reads_back_in_indonesian_with_every_iku(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    jobs, failures, _ = plan_jobs(data, tmp_path)
    assert failures == []
    by_subject = {job.subject_key: job for job in jobs}
    outcome = run_job(by_subject["DINKES"])
    assert not hasattr(outcome, "error"), outcome
    html = (tmp_path / "opd" / "DINKES.html").read_text(encoding="utf-8")
    text, pages = _pdf_text(tmp_path / "opd" / "DINKES.pdf")

    # The agency's note with markup: escaped in HTML, shown as text in the PDF.
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert _squash(SCRIPT_NOTE) in _squash(text)

    assert "Oktober 2026" in text
    assert "85,24%" in text  # LKj Lampung DBD example, Indonesian format
    assert "56,23" in text
    assert "belum tersedia" in text  # a legitimately absent realisasi, said explicitly
    assert "tidak dapat dihitung" in text
    assert "09.30 WIB" in text
    assert f"Halaman 1 dari {pages}" in text
    assert 1 <= pages <= 4
    squashed = _squash(text)
    for code, name in _agency_codes(seeded)["DINKES"]:
        assert code in text
        assert _squash(name) in squashed, name
    assert DBD_CODE in text
    # Data issues read as the flag table's Indonesian labels, never as rule codes.
    for code in ("above_maximum", "outlier_zscore"):
        assert code not in html and code not in text
    assert "Nilai di atas batas" in html and "Nilai menyimpang dari riwayat" in html


def test_states_without_a_number_are_said_in_words(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    jobs, _, _ = plan_jobs(data, tmp_path, subjects=["PEMPROV"])
    run_job(jobs[0])
    html = (tmp_path / "opd" / "PEMPROV.html").read_text(encoding="utf-8")
    text, _ = _pdf_text(tmp_path / "opd" / "PEMPROV.pdf")
    for words in ("tidak dijadwalkan", "tanpa target", "tidak dapat dihitung"):
        assert words in html and words in text
    assert NOT_DUE_CODE in text and NO_TARGET_CODE in text
    assert "no_target" not in html  # engine flag codes are shown in Indonesian


def _visible(html: str) -> str:
    """The words of an HTML page as a reader sees them (no tags, one space)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Each bulletin says what its figures rest on and where to act, in the HTML and in the PDF.
SAYS = [
    # the DBD case (56,23 against "<49") is not met, beside its predikat
    ("DINKES", ["Target tidak tercapai", "Tidak tercapai", DBD_CODE]),
    # a value held for verification is marked and listed where to act
    ("DINKES", ["Menunggu verifikasi", "menunggu verifikasi", HELD_CODE]),
    # September's open issue counts in October, and is listed as long open
    ("DINKES", ["Isu data terbuka", "periode September 2026", "sejak 6 Oktober 2026"]),
    # rule titles, never rule codes
    ("DINKES", ["Nilai di atas batas", "Realisasi bukan angka"]),
    # a stale quarterly value carries its month
    ("DISKOPUKM", [STALE_CODE, "angka September 2026"]),
    # an incomplete year to date says on how many months it rests
    ("DISDIKBUD", [INCOMPLETE_CODE, "4 dari 10 bulan", "belum lengkap"]),
    # the headline's basis; agencies without a report are listed where to act
    ("province", ["Perlu tindakan", "Belum melapor", "dari 17 perangkat daerah ("]),
    # "how to read this": the glossary, with the bands of the rules file (issue 18)
    ("province", ["Cara membaca buletin ini", "Sangat Tinggi (ST) ≥ 91", "Tinggi (T) 76 –"]),
    ("DINKES", ["Cara membaca buletin ini", "S.d. bulan ini", "Proyeksi", "Tercapai"]),
]


@pytest.mark.parametrize(("subject", "phrases"), SAYS)
def test_bulletins_say_the_basis_and_where_to_act(
    seeded: Engine, rules: Rules, tmp_path: Path, subject: str, phrases: list[str]
) -> None:
    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    jobs, failures, _ = plan_jobs(data, tmp_path, subjects=[subject])
    assert failures == [] and len(jobs) == 1
    outcome = run_job(jobs[0])
    assert not hasattr(outcome, "error"), outcome
    html = _visible(jobs[0].html_path.read_text(encoding="utf-8"))
    assert jobs[0].pdf_path is not None
    text, _ = _pdf_text(jobs[0].pdf_path)
    for phrase in phrases:
        assert phrase in html, phrase
        assert _squash(phrase) in _squash(text), phrase


def test_where_to_act_starts_on_page_one_of_the_province_bulletin(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    assert {item.reason for item in data.attention} >= {
        "belum_melapor",
        "tidak_tercapai",
        "menunggu_verifikasi",
        "isu_data_terbuka",
    }
    jobs, _, _ = plan_jobs(data, tmp_path, subjects=["province"])
    run_job(jobs[0])
    first = PdfReader(tmp_path / "provinsi.pdf").pages[0].extract_text() or ""
    assert "Perlu tindakan" in first and "Belum melapor" in first


def test_bulletins_and_the_review_page_count_open_issues_alike(
    seeded: Engine, rules: Rules
) -> None:
    """September's open issue still counts in October (it did not vanish: "0 while 7 open")."""
    from iku.bulletins.review_page import review_context
    from iku.bulletins.views import province_context

    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    dinkes = next(a for a in data.agencies if a.code == "DINKES")
    with session_scope(seeded) as session:
        review = review_context(session, PERIOD, rules, now=GENERATED_AT)
    assert province_context(data)["quality"]["total"] == review["summary"]["open"] == 3
    assert len(agency_context(data, dinkes)["issues"]) == 3
    # Decided, it leaves every count at once.
    with session_scope(seeded) as session:
        issue = session.scalars(
            select(m.ValidationIssue).where(m.ValidationIssue.period == "2026-09")
        ).one()
        issue.status = "accepted"
    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    with session_scope(seeded) as session:
        review = review_context(session, PERIOD, rules, now=GENERATED_AT)
    assert province_context(data)["quality"]["total"] == review["summary"]["open"] == 2
    assert "isu_data_terbuka" not in {item.reason for item in data.attention}


def test_no_rule_or_flag_code_reaches_a_reader(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    from iku import flags

    result = render_period(
        PERIOD, seeded, output_dir=tmp_path, generated_at=GENERATED_AT, rules=rules
    )
    assert result.ok, result.failures
    codes = [f.code for f in (*flags.ENGINE_FLAGS, *flags.RULE_FLAGS) if "_" in f.code]
    for bulletin in result.bulletins:
        words = _visible(bulletin.html_path.read_text(encoding="utf-8"))
        shown = [code for code in codes if code in words]
        assert shown == [], (bulletin.subject_key, shown)


def test_reporting_rates_are_computed_when_the_cycle_has_none(seeded: Engine, rules: Rules) -> None:
    with session_scope(seeded) as session:
        cycle = session.scalars(
            select(m.EvaluationCycle).where(m.EvaluationCycle.period == PERIOD)
        ).one()
        cycle.counts = {}
    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    # One agency (DINKES) submitted for the period: the rate is a percentage, not 91,3.
    assert 0 < data.counts["reporting_rate"] < 50
    assert data.counts["on_time_rate"] is not None


def test_province_pdf_has_agencies_rules_and_target_versions(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    jobs, _, _ = plan_jobs(data, tmp_path)
    province = next(job for job in jobs if job.audience == "province")
    run_job(province)
    text, pages = _pdf_text(tmp_path / "provinsi.pdf")
    assert "Oktober 2026" in text
    assert f"versi {rules.version}" in text
    assert "Perubahan PK" in text and REVISED_CODE in text
    assert "91,30%" in text  # reporting rate from the cycle's counts
    for code in _agency_codes(seeded):
        assert code in text
    assert 2 <= pages <= 10


def test_a_missing_figure_fails_the_render(seeded: Engine, rules: Rules) -> None:
    data = load_period(seeded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    dinkes = next(a for a in data.agencies if a.code == "DINKES")
    env = make_environment(rules)
    context = agency_context(data, dinkes)
    assert render_html(env, "agency.html", {**context, "static_url": ""})

    del context["indicators"][0]["capaian"]
    with pytest.raises(jinja2.UndefinedError):
        render_html(env, "agency.html", {**context, "static_url": ""})

    context = agency_context(data, dinkes)
    context["summary"]["capaian"] = None  # a None is a missing figure too, not a blank
    with pytest.raises(MissingFigureError):
        render_html(env, "agency.html", {**context, "static_url": ""})


def test_one_agency_failing_does_not_stop_the_others(seeded: Engine, tmp_path: Path) -> None:
    out_root = tmp_path / "out"
    subjects = ["BKD", "DINKES"]
    first = render_period(
        PERIOD,
        seeded,
        output_dir=out_root,
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=subjects,
    )
    assert first.ok
    with session_scope(seeded) as session:
        session.execute(
            delete(m.Achievement).where(
                m.Achievement.cycle_id == first.cycle_id,
                m.Achievement.subject_key == "indicator:BKD-01",
            )
        )
    result = render_period(
        PERIOD,
        seeded,
        output_dir=out_root,
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=subjects,
    )
    assert [(f.audience, f.subject_key) for f in result.failures] == [("agency", "BKD")]
    assert "BKD-01" in result.failures[0].error
    out = out_root / PERIOD
    assert not (out / "opd" / "BKD.pdf").exists()  # no stale bulletin left behind
    assert (out / "opd" / "DINKES.pdf").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["failures"][0]["subject_key"] == "BKD"
    assert "BKD" in (out / "index.html").read_text(encoding="utf-8")
    with session_scope(seeded) as session:
        bkd = session.scalars(
            select(m.Bulletin).where(
                m.Bulletin.cycle_id == result.cycle_id, m.Bulletin.subject_key == "BKD"
            )
        ).one()
        assert bkd.pdf_path is None and bkd.sha256 is None


def test_index_links_the_review_page_only_when_it_exists(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    out_root = tmp_path / "out"
    only = ["BKD"]
    render_period(
        PERIOD,
        seeded,
        output_dir=out_root,
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=only,
    )
    index = out_root / PERIOD / "index.html"
    assert "review/index.html" not in index.read_text(encoding="utf-8")
    review = out_root / PERIOD / "review" / "index.html"
    review.parent.mkdir(parents=True)
    review.write_text("<html></html>", encoding="utf-8")
    render_period(
        PERIOD,
        seeded,
        output_dir=out_root,
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=only,
    )
    assert 'href="review/index.html"' in index.read_text(encoding="utf-8")


def test_a_period_without_cycle_is_a_clear_error(loaded: Engine, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="Belum ada siklus evaluasi untuk 2026-10"):
        render_period(PERIOD, loaded, output_dir=tmp_path, rules=load_rules(RULES_FILE))


@pytest.mark.slow
def test_parallel_render_matches_sequential(seeded: Engine, tmp_path: Path) -> None:
    """Bulletins made in a pool of worker processes (each with its own Typst compiler) are
    byte for byte those made in this process, PDFs included."""
    if seeded.dialect.name != "sqlite":
        pytest.skip("the process pool does not touch the database; one backend is enough")
    some = ["BKD", "DINKES"]
    one = render_period(
        PERIOD,
        seeded,
        output_dir=tmp_path / "a",
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=some,
    )
    plan = plan_render(
        PERIOD,
        seeded,
        output_dir=tmp_path / "b",
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=some,
    )
    outcomes = run_jobs(plan.jobs, 2, min_pool_jobs=1)  # a pool even for two bulletins
    two = finish_render(plan, outcomes, seeded)
    assert one.ok and two.ok
    workers = {b.rendered_by for b in two.bulletins if b.audience == "agency"}
    assert workers.isdisjoint(b.rendered_by for b in one.bulletins)  # other processes

    def hashes(result: RenderResult) -> dict[tuple[str, str], tuple[str, str | None]]:
        return {
            (b.audience, b.subject_key): (b.html_sha256, b.pdf_sha256)
            for b in result.bulletins
            if b.audience != "index"
        }

    assert hashes(two) == hashes(one)


@pytest.mark.slow
def test_a_prestarted_pool_renders_the_plan_and_reports_a_failure(
    seeded: Engine, tmp_path: Path
) -> None:
    """The pool a plan starts ahead (its bulletins are new) is the one run_jobs uses; its
    workers make the bytes this process makes, and a bulletin failing in a worker is that
    bulletin's failure, its files gone, the others made."""
    import dataclasses

    from iku.bulletins import jobs as jobs_module

    if seeded.dialect.name != "sqlite":
        pytest.skip("the process pool does not touch the database; one backend is enough")
    some = ["BKD", "DINKES"]
    rules = load_rules(RULES_FILE)
    plan = plan_render(
        PERIOD,
        seeded,
        output_dir=tmp_path / "b",
        rules=rules,
        generated_at=GENERATED_AT,
        subjects=some,
        prestart_workers=2,
        min_pool_jobs=1,
    )
    # The bytes this process makes, while the pool's workers start.
    one = render_period(
        PERIOD,
        seeded,
        output_dir=tmp_path / "a",
        rules=rules,
        generated_at=GENERATED_AT,
        subjects=some,
    )
    prestarted = jobs_module._prestarted
    assert prestarted is not None and prestarted.workers == 2
    broken = plan.jobs[0]
    context = {k: v for k, v in broken.context.items() if k != "meta"}
    broken.html_path.parent.mkdir(parents=True, exist_ok=True)
    broken.html_path.write_text("stale")
    outcomes = run_jobs(
        [dataclasses.replace(broken, context=context), *plan.jobs[1:]], 2, min_pool_jobs=1
    )
    assert jobs_module._prestarted is None  # claimed, and shut down after the run
    failed = [o for o in outcomes if not hasattr(o, "pdf_sha256")]
    assert [(f.subject_key, f.error.split(":")[0]) for f in failed] == [
        (broken.subject_key, "UndefinedError")
    ]
    assert not broken.html_path.exists()  # no stale bulletin left behind
    made = {(o.audience, o.subject_key): o for o in outcomes if hasattr(o, "pdf_sha256")}
    assert made and all(o.rendered_by.split(":")[1] != str(os.getpid()) for o in made.values())
    for bulletin in one.bulletins:
        if (bulletin.audience, bulletin.subject_key) in made:
            other = made[(bulletin.audience, bulletin.subject_key)]
            assert (other.html_sha256, other.pdf_sha256) == (
                bulletin.html_sha256,
                bulletin.pdf_sha256,
            )


def test_a_typst_source_reads_nothing_outside_its_templates() -> None:
    """The compiler's root is report_templates/typst: no file elsewhere, no network."""
    for source in ('#read("/etc/passwd")', '#read("../../iku/settings.py")'):
        with pytest.raises(PdfRenderError, match="Typst"):
            compile_pdf(source, created_at=GENERATED_AT)
    with pytest.raises(PdfRenderError):
        compile_pdf('#image("http://127.0.0.1:9/chart.png")', created_at=GENERATED_AT)


def test_cli_renders_delivers_and_reports(isolated_settings: Path) -> None:
    runner = CliRunner()
    not_migrated = runner.invoke(app, ["render", "--period", PERIOD])
    assert not_migrated.exit_code == 1 and "iku db upgrade" in not_migrated.output
    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    no_cycle = runner.invoke(app, ["render", "--period", PERIOD])
    assert no_cycle.exit_code == 1
    assert "Belum ada siklus evaluasi untuk 2026-10" in no_cycle.output
    assert "Traceback" not in no_cycle.output
    bad = runner.invoke(app, ["render", "--period", "2026-13"])
    assert bad.exit_code == 1 and "tulis bulan seperti 2026-10" in bad.output

    seed_period(process_runtime().engine, load_rules(RULES_FILE))
    made = runner.invoke(app, ["render", "--period", PERIOD, "--workers", "1", "--no-deliver"])
    assert made.exit_code == 0, made.output
    # Not delivered yet, the same inputs: not made again, and said so.
    same = runner.invoke(app, ["render", "--period", PERIOD, "--workers", "1", "--no-deliver"])
    unchanged = re.search(r"(\d+) buletin tidak berubah", re.sub(r"\s+", " ", same.output))
    assert unchanged is not None and int(unchanged.group(1)) == 18, same.output
    result = runner.invoke(app, ["render", "--period", PERIOD, "--workers", "1"])
    assert result.exit_code == 0, result.output
    out = isolated_settings / "out" / PERIOD
    assert str(out / "index.html") in result.output.replace("\n", "")
    sent = re.search(r"(\d+) terkirim, 0 sudah terkirim sebelumnya, 0 gagal", result.output)
    assert sent is not None and int(sent.group(1)) > 0
    again = runner.invoke(app, ["render", "--period", PERIOD, "--workers", "1", "--no-deliver"])
    assert again.exit_code == 0 and "terkirim" not in again.output


def test_pdf_render_works_from_several_threads() -> None:
    # A thread-pool task runner may render bulletins concurrently: one compiler per thread.
    sources = [f"Buletin {i}" for i in range(4)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        pdfs = list(pool.map(lambda s: compile_pdf(s, created_at=GENERATED_AT), sources))
    for index, pdf in enumerate(pdfs):
        assert pdf.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(pdf))
        assert f"Buletin {index}" in (reader.pages[0].extract_text() or "")
