"""Benchmark of the bulletins (not a test): one agency PDF, and every bulletin of 640 agencies.

Run: ``.venv/bin/python -m benchmarks.bench_render [--agencies 640] [--workers 2] [--sample 25]``.
Builds a throw-away SQLite database under a temporary folder with a seeded synthetic province
(``--agencies`` agencies x 5 IKU, four monthly cycles for the trend lines, a few open data
issues), then measures:

1. the median time of one agency bulletin (context, HTML, Typst PDF) over ``--sample``
   agencies in this process, after a warm-up; target under 20 ms (issue 19);
2. ``render_period`` of every bulletin (province, all agencies, index, manifest, rows) with
   ``--workers`` processes; target under 120 s for 640 agencies on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from iku import migrate
from iku import models as m
from iku.bulletins.html import make_environment, render_html
from iku.bulletins.jobs import render_period
from iku.bulletins.readmodel import load_period
from iku.bulletins.typst import AGENCY_TEMPLATE, bulletin_metadata, render_pdf
from iku.bulletins.views import agency_context
from iku.db import make_engine, session_scope
from iku.rules import Rules, load_rules
from iku.settings import TIMEZONE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULES_FILE = PROJECT_ROOT / "data" / "rules.yaml"
PERIODS = ("2026-07", "2026-08", "2026-09", "2026-10")
SECTORS = ("pemerintahan", "pendidikan", "kesehatan", "ekonomi", "sosial", "infrastruktur")
INDICATOR_NAMES = (
    "Persentase Layanan Perizinan yang Diselesaikan Tepat Waktu",
    "Indeks Kepuasan Masyarakat terhadap Pelayanan Publik",
    "Jumlah Kegiatan Pembinaan yang Dilaksanakan",
    "Persentase Rekomendasi Hasil Pemeriksaan yang Ditindaklanjuti",
    "Tingkat Penyerapan Anggaran Belanja Langsung",
)


def _band(rules: Rules, value: float) -> str:
    for band in rules.predikat.bands:
        if (band.lower is None or value >= band.lower) and (
            band.upper is None or value < band.upper
        ):
            return band.code
    raise ValueError(value)


def build_database(engine: Engine, agencies: int, rules: Rules, seed: int = 640) -> None:
    """A synthetic province: agencies, 5 IKU each, four cycles of results, a few issues."""
    rng = random.Random(seed)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        session.execute(
            insert(m.Agency),
            [
                {
                    "code": f"OPD{i:04d}",
                    "name": f"Dinas Sintetis Nomor {i} Provinsi Lampung",
                    "kind": "opd",
                    "sector": SECTORS[i % len(SECTORS)],
                    "is_active": True,
                }
                for i in range(agencies)
            ],
        )
        agency_ids = {
            code: id_ for code, id_ in session.execute(select(m.Agency.code, m.Agency.id))
        }
        session.execute(
            insert(m.Indicator),
            [
                {
                    "code": f"OPD{i:04d}-{k + 1:02d}",
                    "agency_id": agency_ids[f"OPD{i:04d}"],
                    "name": INDICATOR_NAMES[k],
                    "unit": "%",
                    "polarity": "positive",
                    "consolidation": "last",
                    "frequency": "monthly",
                    "evidence_required": False,
                    "weight": 1.0,
                    "sector": SECTORS[i % len(SECTORS)],
                    "is_active": True,
                }
                for i in range(agencies)
                for k in range(5)
            ],
        )
        indicators = session.execute(
            select(m.Indicator.id, m.Indicator.code, m.Indicator.agency_id, m.Indicator.sector)
        ).all()
        by_agency: dict[int, list[Any]] = {}
        for row in indicators:
            by_agency.setdefault(row.agency_id, []).append(row)
        for period in PERIODS:
            cycle = m.EvaluationCycle(
                period=period,
                status="completed",
                rules_version=rules.version,
                counts={"reporting_rate": 93.5, "on_time_rate": 81.25},
            )
            session.add(cycle)
            session.flush()
            rows: list[dict[str, Any]] = []
            agency_values: list[float] = []
            for code, agency_id in agency_ids.items():
                values = []
                for indicator in by_agency[agency_id]:
                    capaian = rng.uniform(45, 115)
                    values.append(capaian)
                    rows.append(
                        {
                            "cycle_id": cycle.id,
                            "period": period,
                            "level": "indicator",
                            "subject_key": f"indicator:{indicator.code}",
                            "indicator_id": indicator.id,
                            "agency_id": agency_id,
                            "sector": indicator.sector,
                            "target_version": 1,
                            "target_text": "95",
                            "realisasi": round(capaian * 0.95, 2),
                            "realisasi_state": "angka",
                            "capaian_raw": capaian,
                            "capaian_scored": capaian,
                            "predikat": _band(rules, capaian),
                            "ytd_realisasi": round(capaian * 0.95, 2),
                            "ytd_target": 95.0,
                            "ytd_capaian": capaian,
                            "trend_delta": rng.uniform(-5, 5),
                            "projection": capaian * 0.99,
                            "is_at_risk": capaian < 70,
                            "flags": [],
                            "note": None,
                        }
                    )
                mean = statistics.fmean(values)
                agency_values.append(mean)
                rows.append(
                    {
                        "cycle_id": cycle.id,
                        "period": period,
                        "level": "agency",
                        "subject_key": f"agency:{code}",
                        "agency_id": agency_id,
                        "capaian_scored": mean,
                        "predikat": _band(rules, mean),
                        "is_at_risk": False,
                        "n_included": len(values),
                        "n_total": len(values),
                        "n_missing": 0,
                        "flags": [],
                    }
                )
            for sector in SECTORS:
                rows.append(
                    {
                        "cycle_id": cycle.id,
                        "period": period,
                        "level": "sector",
                        "subject_key": f"sector:{sector}",
                        "sector": sector,
                        "capaian_scored": 80.0,
                        "predikat": _band(rules, 80.0),
                        "is_at_risk": False,
                        "n_included": 1,
                        "n_total": 1,
                        "n_missing": 0,
                        "flags": [],
                    }
                )
            province = statistics.fmean(agency_values)
            rows.append(
                {
                    "cycle_id": cycle.id,
                    "period": period,
                    "level": "province",
                    "subject_key": "province",
                    "capaian_scored": province,
                    "predikat": _band(rules, province),
                    "is_at_risk": False,
                    "n_included": agencies * 5,
                    "n_total": agencies * 5,
                    "n_missing": 0,
                    "n_agencies": agencies,
                    "n_agencies_included": agencies,
                    "flags": [],
                }
            )
            session.execute(insert(m.Achievement), rows)
        first = next(iter(agency_ids.values()))
        submission = m.Submission(
            agency_id=first,
            period=PERIODS[-1],
            file_name="opd0000.xlsx",
            file_format="xlsx",
            sha256="0" * 64,
            size_bytes=1,
            archive_path="-",
            status="validated",
        )
        session.add(submission)
        session.flush()
        for line in range(2, 7):
            session.add(
                m.ValidationIssue(
                    submission_id=submission.id,
                    source_row=line,
                    indicator_code="OPD0000-01",
                    period=PERIODS[-1],
                    rule="nilai_di_luar_batas",
                    severity="error",
                    observed="1.250",
                    expected="0 - 100",
                    message="Nilai di luar batas yang wajar.",
                )
            )


def time_one_agency(engine: Engine, rules: Rules, sample: int) -> list[float]:
    """Seconds for context + HTML + PDF of ``sample`` agency bulletins, after a warm-up."""
    from datetime import datetime

    data = load_period(
        engine,
        PERIODS[-1],
        rules=rules,
        generated_at=datetime(2026, 11, 10, 9, 30, tzinfo=TIMEZONE),
    )
    env = make_environment(rules)
    agencies = data.agencies[:sample]

    def one(index: int) -> None:
        context = agency_context(data, agencies[index % len(agencies)])
        render_html(env, "agency.html", {**context, "static_url": ""})
        metadata = bulletin_metadata(AGENCY_TEMPLATE, context, issuer=rules.bulletin.issuer)
        render_pdf(AGENCY_TEMPLATE, context, metadata=metadata, rules=rules)

    for index in range(3):
        one(index)  # warm-up: imports, fonts, stylesheet
    timings = []
    for index in range(len(agencies)):
        start = time.perf_counter()
        one(index)
        timings.append(time.perf_counter() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=640)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--sample", type=int, default=25)
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    args = parser.parse_args()
    rules = load_rules(RULES_FILE)

    with tempfile.TemporaryDirectory(prefix="iku-bench-render-") as folder:
        root = Path(folder)
        engine = make_engine(f"sqlite:///{root / 'bench.db'}")
        start = time.perf_counter()
        build_database(engine, args.agencies, rules)
        setup_s = time.perf_counter() - start
        print(f"synthetic database: {args.agencies} agencies x 5 IKU, {setup_s:.1f} s")

        timings = time_one_agency(engine, rules, args.sample)
        median_ms = statistics.median(timings) * 1000
        p90_ms = sorted(timings)[int(len(timings) * 0.9) - 1] * 1000
        print(
            f"one agency bulletin (context + HTML + PDF): median {median_ms:.0f} ms, "
            f"p90 {p90_ms:.0f} ms over {len(timings)} (target < 20 ms)"
        )

        start = time.perf_counter()
        result = render_period(
            PERIODS[-1],
            engine,
            output_dir=root / "out",
            workers=args.workers,
            rules=rules,
        )
        total_s = time.perf_counter() - start
        pdfs = sum(1 for b in result.bulletins if b.pdf_path is not None)
        print(
            f"all bulletins: {pdfs} PDFs + index in {total_s:.1f} s with {args.workers} "
            f"worker(s), {len(result.failures)} failure(s) (target < 120 s for 640 agencies)"
        )
        engine.dispose()

    results = {
        "benchmark": "render",
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPU, Python {platform.python_version()}",
        "agencies": args.agencies,
        "workers": args.workers,
        "agency_pdf_median_ms": round(median_ms, 1),
        "agency_pdf_p90_ms": round(p90_ms, 1),
        "all_bulletins_s": round(total_s, 2),
        "pdfs": pdfs,
        "failures": len(result.failures),
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
