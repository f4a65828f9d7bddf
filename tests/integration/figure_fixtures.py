"""Shared set-ups of the figures tests (issue 13): staged files validated for real, a catalog
with qualitative IKU, and the rows of a computed period."""

from __future__ import annotations

import csv
import itertools
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from iku import models as m
from iku.db import session_scope
from iku.numbers import read_number
from iku.rules import Rules
from iku.settings import TIMEZONE
from quality.validate import validate_period
from tests.conftest import CATALOG_DIR


def on_time(period: str) -> datetime:
    """When a file of ``period`` arrives by default: the 3rd of the next month, 10.00 WIB
    (before the deadline, the 5th: nothing is late)."""
    year, month = int(period[:4]), int(period[5:7])
    return datetime(year + month // 12, month % 12 + 1, 3, 10, tzinfo=TIMEZONE)


EVIDENCE = "https://bukti.example/dokumen.pdf"

_files = itertools.count(1)


def stage(
    engine: Engine,
    agency: str,
    period: str,
    rows: dict[str, str],
    *,
    received: datetime | None = None,
) -> int:
    """An agency's file for ``period`` as ingestion leaves it (a staged submission, one staged
    row per IKU with the realisasi cell as written); returns the submission id. Validation
    routes it (:func:`validate`)."""
    with session_scope(engine) as session:
        agency_id = session.scalars(select(m.Agency.id).where(m.Agency.code == agency)).one()
        n = next(_files)
        name = f"{agency.lower()}_{period}_{n}.csv"
        submission = m.Submission(
            agency_id=agency_id,
            period=period,
            file_name=name,
            file_format="csv",
            sha256=f"f{n:063x}",  # never one of test_achievement.submit's digests
            size_bytes=100,
            archive_path=f"/archive/{n}",
            received_at=received or on_time(period),
            status="staged",
            row_count=len(rows),
        )
        session.add(submission)
        session.flush()
        for source_row, (code, raw) in enumerate(rows.items(), start=2):
            reading = read_number(raw)
            status = "ok" if reading.value is not None or reading.state else "invalid"
            if reading.is_ambiguous:
                status = "ambiguous"
            session.add(
                m.StagedRow(
                    submission_id=submission.id,
                    source_file=name,
                    source_row=source_row,
                    agency_code=agency,
                    indicator_code=code,
                    period=period,
                    raw_value=raw,
                    value=reading.value,
                    state="angka" if reading.value is not None else reading.state,
                    parse_status=status,
                    candidates=list(reading.candidates) if reading.is_ambiguous else None,
                    evidence_url=EVIDENCE,
                )
            )
        return submission.id


def validate(engine: Engine, period: str, rules: Rules) -> None:
    """Run the period's validation (Great Expectations suites, routing) in one transaction."""
    with session_scope(engine) as session:
        validate_period(session, period, rules)


def issue_id(engine: Engine, rule: str, code: str | None = None) -> int:
    """The id of the one issue of ``rule`` (on IKU ``code``)."""
    with session_scope(engine) as session:
        query = select(m.ValidationIssue.id).where(m.ValidationIssue.rule == rule)
        if code is not None:
            query = query.where(m.ValidationIssue.indicator_code == code)
        return session.scalars(query).one()


# --------------------------------------------------------------------------------------------
# A catalog with qualitative IKU (ordinal scales of the rules file)
# --------------------------------------------------------------------------------------------

#: code, agency, name, unit, sector, scale, target text
QUALITATIVE: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "INSPEKTORAT-05",
        "INSPEKTORAT",
        "Opini BPK atas Laporan Keuangan Pemerintah Provinsi Lampung",
        "opini",
        "pemerintahan",
        "opini_bpk",
        "WTP",
    ),
    (
        "RSUDAM-06",
        "RSUDAM",
        "Status Akreditasi Rumah Sakit (KARS)",
        "tingkat",
        "kesehatan",
        "akreditasi_rs",
        "Paripurna",
    ),
    (
        "BIRO_ORGANISASI-05",
        "BIRO_ORGANISASI",
        "Predikat SAKIP Pemerintah Provinsi Lampung",
        "predikat",
        "pemerintahan",
        "predikat_sakip",
        "BB",
    ),
)


def qualitative_catalog(target: Path) -> Path:
    """A copy of the repository's catalog whose indicators.csv has the optional ``scale``
    column and three qualitative IKU (an annual BPK opinion and a hospital accreditation, which
    the repository's catalog has, and a SAKIP grade), with their PK targets written as
    grades."""
    shutil.copytree(CATALOG_DIR, target)
    path = target / "indicators.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    header, body = records[0], records[1:]
    # The repository's catalog has the column and some of these IKU already: add the others.
    present = {r[0] for r in body}
    if "scale" not in header:
        header, body = [*header, "scale"], [[*r, ""] for r in body]
    width = len(header) - 1
    rows: list[list[str]] = [header, *body]
    added = [q for q in QUALITATIVE if q[0] not in present]
    for code, agency, name, unit, sector, scale, _ in added:
        values: dict[str, Any] = {
            "code": code,
            "agency_code": agency,
            "name": name,
            "unit": unit,
            "polarity": "positive",
            "negative_formula": "",
            "consolidation": "last",
            "frequency": "annual",
            "cumulative": "false",
            "evidence_required": "true",
            "weight": "1",
            "sector": sector,
            "min_value": "",
            "max_value": "",
            "description": f"{name} (tingkat kualitatif).",
        }
        rows.append([str(values[column]) for column in header[:width]] + [scale])
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    with (target / "targets.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for code, *_, text in added:
            writer.writerow([code, "2026", "annual", text, "1", "2026-01-01", "PK 2026"])
    return target
