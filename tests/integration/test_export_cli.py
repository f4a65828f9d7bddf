"""``iku export --period P --out DIR`` on PostgreSQL and SQLite (issue 13, item 10; the files are
documented in docs/exports.md): ``capaian.csv`` and ``perlu_tindakan.csv`` of a computed period,
UTF-8, comma separated, dot decimals, one header row; an error sentence, never a traceback."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from iku import models as m
from iku.cli import app
from iku.db import session_scope
from iku.operations.compute import compute
from iku.reports.attention import REASONS
from iku.runtime import process_runtime
from tests.integration.figure_fixtures import qualitative_catalog, stage, validate
from tests.integration.test_achievement import submit

runner = CliRunner()

#: The documented columns, in order (docs/exports.md): a change here is a change of the
#: published format and must change the documentation with it.
CAPAIAN_COLUMNS = [
    "level",
    "agency_code",
    "indicator_code",
    "period",
    "target_text",
    "target_value",
    "target_lower",
    "target_upper",
    "realisasi",
    "realisasi_period",
    "capaian_pct",
    "capaian_scored_pct",
    "predikat",
    "tercapai",
    "ytd_realisasi",
    "ytd_target",
    "ytd_capaian_pct",
    "ytd_months_reported",
    "ytd_months_expected",
    "ytd_complete",
    "year_end_capaian_pct",
    "in_aggregate",
    "projection_pct",
    "is_at_risk",
    "n_included",
    "n_total",
    "n_held",
    "n_agencies_included",
    "n_agencies",
    "flags",
]
ATTENTION_COLUMNS = ["agency_code", "indicator_code", "reason", "detail"]
NUMERIC = {
    "target_value",
    "target_lower",
    "target_upper",
    "capaian_pct",
    "capaian_scored_pct",
    "ytd_realisasi",
    "ytd_target",
    "ytd_capaian_pct",
    "ytd_months_reported",
    "ytd_months_expected",
    "year_end_capaian_pct",
    "projection_pct",
    "n_included",
    "n_total",
    "n_held",
    "n_agencies_included",
    "n_agencies",
}
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture
def computed(cli_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """October 2026 computed on the CLI's database, from a catalog with qualitative IKU: DINKES
    (a missed DBD target, immunisation, maternal deaths from October only), the BPK opinion WDP
    against WTP, RSUDAM's NDR slip 2,1 held for verification. Returns the catalog's counts."""
    monkeypatch.setenv("IKU_CATALOG_DIR", str(qualitative_catalog(tmp_path / "catalog")))
    setup = runner.invoke(app, ["setup"])
    assert setup.exit_code == 0, setup.output
    rt = process_runtime()
    engine = rt.engine
    submit(engine, "DINKES", "2026-10", {"DINKES-01": 51.14, "DINKES-02": 80.0, "DINKES-04": 9.0})
    submit(engine, "INSPEKTORAT", "2026-10", {"INSPEKTORAT-05": 3.0})  # WDP, staged as its score
    stage(engine, "RSUDAM", "2026-10", {"RSUDAM-01": "55", "RSUDAM-04": "2,1"})
    validate(engine, "2026-10", rt.rules)
    compute(rt, "2026-10")
    with session_scope(engine) as session:
        active = select(m.Indicator).where(m.Indicator.is_active).subquery()
        return {
            "indicators": session.scalar(select(func.count()).select_from(active)) or 0,
            "agencies": session.scalar(select(func.count(func.distinct(active.c.agency_id)))) or 0,
            "sectors": session.scalar(select(func.count(func.distinct(active.c.sector)))) or 0,
        }


def _read(path: Path) -> tuple[str, list[dict[str, str]]]:
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
    text = data.decode("utf-8")
    assert "\r" not in text  # one newline per row
    return text, list(csv.DictReader(io.StringIO(text)))


def test_export_writes_both_files_with_every_level(
    computed: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "terbuka"
    result = runner.invoke(app, ["export", "--period", "2026-10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["capaian.csv", "perlu_tindakan.csv"]

    text, rows = _read(out / "capaian.csv")
    assert text.splitlines()[0] == ",".join(CAPAIAN_COLUMNS)  # one header row, comma
    total = computed["indicators"] + computed["agencies"] + computed["sectors"] + 1
    assert f"({total} baris)" in result.output
    by_level: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_level.setdefault(row["level"], []).append(row)
        assert row["period"] == "2026-10"
        for column in NUMERIC:
            assert row[column] == "" or PLAIN_NUMBER.match(row[column]), (column, row)
        for column in ("tercapai", "ytd_complete", "in_aggregate", "is_at_risk"):
            assert row[column] in ("true", "false", ""), (column, row)
    assert {level: len(r) for level, r in by_level.items()} == {
        "indicator": computed["indicators"],
        "agency": computed["agencies"],
        "sector": computed["sectors"],
        "province": 1,
    }
    assert all(r["indicator_code"] and r["agency_code"] for r in by_level["indicator"])
    assert all(
        r["indicator_code"] == ""
        for level in ("agency", "sector", "province")
        for r in by_level[level]
    )
    assert {r["agency_code"] for r in by_level["sector"]} >= {"sektor:kesehatan", "sektor:makro"}
    assert [r["agency_code"] for r in by_level["province"]] == ["provinsi"]

    iku = {r["indicator_code"]: r for r in by_level["indicator"]}
    # Maternal deaths from October only: 9 against October's 95/12, 1 of 10 months.
    deaths = iku["DINKES-04"]
    assert deaths["agency_code"] == "DINKES" and deaths["target_text"] == "95"
    assert float(deaths["ytd_capaian_pct"]) == pytest.approx(86.315789, abs=1e-6)
    assert float(deaths["ytd_target"]) == pytest.approx(95 / 12, abs=1e-6)
    assert (deaths["ytd_months_reported"], deaths["ytd_months_expected"]) == ("1", "10")
    assert deaths["ytd_complete"] == "false" and "ytd_incomplete" in deaths["flags"].split(";")
    assert deaths["realisasi"] == "9" and deaths["realisasi_period"] == "2026-10"
    # A missed target is "false" beside its predikat; a met one "true"; unknown is empty.
    dbd = iku["DINKES-01"]
    assert (dbd["tercapai"], dbd["target_text"], dbd["realisasi"]) == ("false", "<49", "51.14")
    assert (dbd["target_value"], dbd["target_lower"]) == ("40.833333", "")  # the line to date
    # Immunisation (cumulative): 80 against the line to date 95 x 10/12, the year's 95 beside.
    coverage = iku["DINKES-02"]
    assert coverage["tercapai"] == "true"
    assert float(coverage["capaian_pct"]) == pytest.approx(80 / (95 * 10 / 12) * 100, abs=1e-6)
    assert float(coverage["year_end_capaian_pct"]) == pytest.approx(80 / 95 * 100, abs=1e-6)
    assert deaths["year_end_capaian_pct"] == ""  # a count, not a cumulative coverage
    unreported = iku["DINKES-05"]
    assert (unreported["realisasi"], unreported["tercapai"], unreported["capaian_pct"]) == (
        "",
        "",
        "",
    )
    assert "missing" in unreported["flags"].split(";")
    # A qualitative IKU: the grade as written; the capaian on the scores (3 / 4).
    opinion = iku["INSPEKTORAT-05"]
    assert (opinion["realisasi"], opinion["target_text"]) == ("WDP", "WTP")
    assert (opinion["capaian_pct"], opinion["tercapai"]) == ("75", "false")
    # The NDR slip waits for verification: out of the aggregates, its own capaian shown.
    ndr = iku["RSUDAM-04"]
    assert ndr["in_aggregate"] == "false" and "awaiting_verification" in ndr["flags"].split(";")
    assert float(ndr["capaian_pct"]) == pytest.approx(25 / 2.1 * 100, abs=1e-6)

    agencies = {r["agency_code"]: r for r in by_level["agency"]}
    rsudam = agencies["RSUDAM"]
    assert float(rsudam["capaian_pct"]) == pytest.approx((120 - 55) / 60 * 100, abs=1e-6)
    assert (rsudam["n_included"], rsudam["n_total"], rsudam["n_held"]) == ("1", "6", "1")
    assert (rsudam["tercapai"], rsudam["in_aggregate"], rsudam["n_agencies"]) == ("", "", "")
    province = by_level["province"][0]
    assert (province["n_agencies_included"], province["n_agencies"]) == (
        "3",
        str(computed["agencies"]),
    )
    assert (province["n_included"], province["n_total"]) == ("5", str(computed["indicators"]))

    text, items = _read(out / "perlu_tindakan.csv")
    assert text.splitlines()[0] == ",".join(ATTENTION_COLUMNS)
    assert {i["reason"] for i in items} <= set(REASONS)
    found = {(i["reason"], i["agency_code"], i["indicator_code"]) for i in items}
    assert {
        ("tidak_tercapai", "DINKES", "DINKES-01"),
        ("tidak_tercapai", "INSPEKTORAT", "INSPEKTORAT-05"),
        ("menunggu_verifikasi", "RSUDAM", "RSUDAM-04"),
        ("belum_melapor", "BAPENDA", ""),
    } <= found
    assert ("belum_melapor", "DINKES", "") not in found
    assert f"({len(items)} butir perlu tindakan)" in result.output
    details = {i["indicator_code"]: i["detail"] for i in items if i["reason"] == "tidak_tercapai"}
    assert details["DINKES-01"] == "Realisasi 51,14 belum mencapai target <49."
    assert details["INSPEKTORAT-05"] == "Realisasi WDP belum mencapai target WTP."


def test_export_replaces_earlier_files(computed: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "terbuka"
    out.mkdir()
    (out / "capaian.csv").write_text("lama\n", encoding="utf-8")
    result = runner.invoke(app, ["export", "-p", "2026-10", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "capaian.csv").read_text(encoding="utf-8").startswith("level,agency_code,")
    assert sorted(p.name for p in out.iterdir()) == ["capaian.csv", "perlu_tindakan.csv"]


@pytest.mark.parametrize(
    ("period", "out", "words"),
    [
        # A period never computed: what to run first, and no folder left behind.
        ("2026-09", "baru", "periode 2026-09 belum dihitung; jalankan `iku run --period 2026-09`"),
        ("Oktober", "baru", "tulis bulan seperti 2026-10"),
        # --out whose parent does not exist: no chain of folders nobody named.
        ("2026-10", "tidak/ada/folder", "tidak ada; buat folder itu dulu atau pilih jalur lain"),
        # --out that is a file, and a folder where a file cannot be written.
        ("2026-10", "berkas.txt", "bukan folder"),
        ("2026-10", "terkunci", "tidak dapat menulis"),
    ],
)
def test_export_errors_are_one_sentence(
    computed: dict[str, int], tmp_path: Path, period: str, out: str, words: str
) -> None:
    (tmp_path / "berkas.txt").write_text("isi\n", encoding="utf-8")
    (tmp_path / "terkunci" / "capaian.csv").mkdir(parents=True)  # a folder in a file's place
    result = runner.invoke(app, ["export", "--period", period, "--out", str(tmp_path / out)])
    assert result.exit_code == 1, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an exception
    assert not (tmp_path / "baru").exists()
    assert not (tmp_path / "terkunci" / "perlu_tindakan.csv").exists()
