"""compute_period on PostgreSQL and SQLite: idempotent, current submissions only, Perubahan PK."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from iku import models as m
from iku.db import session_scope
from iku.engine.store import compute_period
from iku.rules import load_rules
from iku.settings import TIMEZONE
from tests.conftest import RULES_FILE

_sha = itertools.count(1)
BASE_TIME = datetime(2026, 8, 3, 9, 30, tzinfo=TIMEZONE)


def submit(
    engine: Engine,
    agency: str,
    period: str,
    values: dict[str, float | str],
    *,
    status: str = "validated",
    received_at: datetime = BASE_TIME,
) -> int:
    """Store one submission with its realisations (a number, or a state word).

    Like ingestion, a new current (staged or validated) version supersedes the earlier one.
    """
    with session_scope(engine) as session:
        agency_id = session.scalar(select(m.Agency.id).where(m.Agency.code == agency))
        if status in ("staged", "validated"):
            session.execute(
                update(m.Submission)
                .where(
                    m.Submission.agency_id == agency_id,
                    m.Submission.period == period,
                    m.Submission.status.in_(("staged", "validated")),
                )
                .values(status="superseded")
            )
        query = select(m.Indicator.code, m.Indicator.id).where(m.Indicator.code.in_(values))
        indicator_ids = {code: id_ for code, id_ in session.execute(query)}
        digest = f"{next(_sha):064x}"
        submission = m.Submission(
            agency_id=agency_id,
            period=period,
            file_name=f"{agency}-{period}.xlsx",
            file_format="xlsx",
            sha256=digest,
            size_bytes=1000,
            archive_path=f"archive/{digest}",
            received_at=received_at,
            status=status,
            row_count=len(values),
        )
        session.add(submission)
        session.flush()
        for source_row, (code, value) in enumerate(values.items(), start=2):
            number = not isinstance(value, str)
            session.add(
                m.Realisation(
                    submission_id=submission.id,
                    indicator_id=indicator_ids[code],
                    period=period,
                    value=value if number else None,
                    state="angka" if number else value,
                    state_reason=None if number else "rilis BPS belum ada",
                    source_row=source_row,
                )
            )
        return submission.id


def achievements(engine: Engine, period: str) -> dict[str, dict[str, Any]]:
    """The achievement rows of a period by subject_key, without their ids."""
    columns = [c for c in m.Achievement.__table__.columns if c.name != "id"]
    with engine.connect() as connection:
        rows = connection.execute(
            select(*columns)
            .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Achievement.cycle_id)
            .where(m.EvaluationCycle.period == period)
        ).mappings()
        return {row["subject_key"]: dict(row) for row in rows}


def compute(engine: Engine, period: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        return compute_period(session, period, load_rules(RULES_FILE)).as_dict()


def seed_year(engine: Engine) -> None:
    """Monthly reports of January to July for BAPENDA, RSUDAM and DINKES (some gaps)."""
    for month in range(1, 8):
        period = f"2026-{month:02d}"
        received = BASE_TIME.replace(month=month + 1)
        submit(
            engine,
            "BAPENDA",
            period,
            {"BAPENDA-01": 280.0 + month, "BAPENDA-02": 70.0, "BAPENDA-03": 70.0 + month},
            received_at=received,
        )
        rsudam: dict[str, float | str] = {
            "RSUDAM-01": 55.0 + month,
            "RSUDAM-02": 62.0 + 2 * month,
            "RSUDAM-05": 15_000.0,
        }
        if month != 7:
            rsudam["RSUDAM-04"] = 20.0
        submit(engine, "RSUDAM", period, rsudam, received_at=received)
        dinkes: dict[str, float | str] = {"DINKES-01": 4.0 * month, "DINKES-02": 8.0 * month}
        dinkes["DINKES-05"] = "belum_tersedia" if month == 7 else 97.0
        submit(engine, "DINKES", period, dinkes, received_at=received)


def test_compute_twice_gives_identical_rows(loaded: Engine) -> None:
    seed_year(loaded)
    first_summary = compute(loaded, "2026-07")
    first = achievements(loaded, "2026-07")
    second_summary = compute(loaded, "2026-07")
    second = achievements(loaded, "2026-07")
    assert first == second
    assert first_summary == second_summary

    with session_scope(loaded) as session:
        indicators = session.scalar(
            select(func.count()).select_from(m.Indicator).where(m.Indicator.is_active)
        )
        agencies = session.scalar(
            select(func.count(func.distinct(m.Indicator.agency_id))).where(m.Indicator.is_active)
        )
        cycles = session.scalars(select(m.EvaluationCycle)).all()
        stored = session.scalar(select(func.count()).select_from(m.Achievement))
    levels = first_summary["rows"]
    assert levels["indicator"] == indicators
    assert levels["agency"] == agencies
    assert levels["province"] == 1
    assert stored == sum(levels.values()) == len(first)
    assert [(c.period, c.status, c.rules_version) for c in cycles] == [
        ("2026-07", "pending", load_rules(RULES_FILE).version)
    ]

    rsudam = first["indicator:RSUDAM-01"]  # average of 56..62 minutes vs <= 60 menit
    assert rsudam["ytd_realisasi"] == pytest.approx(59.0)
    assert rsudam["realisasi"] == 62.0 and rsudam["realisasi_state"] == "angka"
    assert first["indicator:RSUDAM-04"]["realisasi_state"] == "tidak_dilaporkan"
    assert "missing" in first["indicator:RSUDAM-04"]["flags"]
    assert first["indicator:DINKES-05"]["realisasi_state"] == "belum_tersedia"
    # June's 97 is older than July, which was due: overdue, counted as missing, dated.
    dinkes05 = first["indicator:DINKES-05"]
    assert dinkes05["ytd_realisasi"] is None and "overdue" in dinkes05["flags"]
    assert dinkes05["realisasi_period"] == "2026-06" and dinkes05["in_aggregate"] is False
    # RSUDAM-04 is missing in July (its June value is overdue, so not included either);
    # RSUDAM-03 (semester) was due in June and never reported: not missing this month, not
    # included.
    assert first["agency:RSUDAM"]["n_missing"] == 1
    assert first["agency:RSUDAM"]["n_included"] == 3
    assert first["province"]["capaian_scored"] is not None
    assert first["province"]["predikat"] in {"ST", "T", "S", "R", "SR"}


def test_perubahan_pk_uses_the_version_in_force_each_month(loaded: Engine) -> None:
    seed_year(loaded)
    submit(loaded, "BMBK", "2026-06", {"BMBK-01": 74.0})
    compute(loaded, "2026-06")
    compute(loaded, "2026-07")
    june, july = achievements(loaded, "2026-06"), achievements(loaded, "2026-07")
    with session_scope(loaded) as session:
        versions = {
            (code, version): (target_id, text)
            for code, version, target_id, text in session.execute(
                select(m.Indicator.code, m.Target.version, m.Target.id, m.Target.original_text)
                .join(m.Indicator)
                .where(m.Target.period_key == "annual")
            )
        }
    for code, old, new in (("BAPENDA-02", "850", "812,5"), ("BMBK-01", "76,5", "75")):
        assert (
            june[f"indicator:{code}"]["target_version"],
            june[f"indicator:{code}"]["target_text"],
        ) == (1, old)
        assert (
            july[f"indicator:{code}"]["target_version"],
            july[f"indicator:{code}"]["target_text"],
        ) == (2, new)
        assert june[f"indicator:{code}"]["target_id"] == versions[(code, 1)][0]
        assert july[f"indicator:{code}"]["target_id"] == versions[(code, 2)][0]
    # BAPENDA-02 is a monthly sum without breakdown: the annual target pro-rated
    assert june["indicator:BAPENDA-02"]["target_lower"] == pytest.approx(850 / 12)
    assert july["indicator:BAPENDA-02"]["ytd_target"] == pytest.approx(812.5 * 7 / 12)
    # BMBK-01 reports per semester: June's value, against version 1 then version 2
    assert june["indicator:BMBK-01"]["ytd_capaian"] == pytest.approx(74 / 76.5 * 100)
    assert july["indicator:BMBK-01"]["ytd_capaian"] == pytest.approx(74 / 75 * 100)


def test_only_the_current_accepted_submission_counts(loaded: Engine) -> None:
    day = timedelta(days=1)
    submit(loaded, "DINKES", "2026-07", {"DINKES-02": 50.0}, received_at=BASE_TIME)
    submit(loaded, "DINKES", "2026-07", {"DINKES-02": 60.0}, received_at=BASE_TIME + day)
    late = BASE_TIME + 2 * day
    submit(loaded, "DINKES", "2026-07", {"DINKES-02": 70.0}, status="rejected", received_at=late)
    compute(loaded, "2026-07")
    assert achievements(loaded, "2026-07")["indicator:DINKES-02"]["realisasi"] == 60.0


def test_the_latest_received_wins_among_submissions_that_count(loaded: Engine) -> None:
    day = timedelta(days=1)
    submit(loaded, "DINKES", "2026-07", {"DINKES-02": 60.0}, received_at=BASE_TIME + day)
    # A row of an earlier file that is still "received" (not superseded): the later one wins.
    submit(loaded, "DINKES", "2026-07", {"DINKES-02": 40.0}, status="received")
    compute(loaded, "2026-07")
    assert achievements(loaded, "2026-07")["indicator:DINKES-02"]["realisasi"] == 60.0
    submit(
        loaded,
        "DINKES",
        "2026-07",
        {"DINKES-02": 90.0},
        status="received",
        received_at=BASE_TIME + 2 * day,
    )
    compute(loaded, "2026-07")
    assert achievements(loaded, "2026-07")["indicator:DINKES-02"]["realisasi"] == 90.0


def test_a_resubmission_is_picked_up_by_recomputing(loaded: Engine) -> None:
    submit(loaded, "DINKES", "2026-07", {"DINKES-02": 60.0})
    compute(loaded, "2026-07")
    before = achievements(loaded, "2026-07")
    submit(
        loaded, "DINKES", "2026-07", {"DINKES-02": 95.0}, received_at=BASE_TIME + timedelta(hours=2)
    )
    compute(loaded, "2026-07")
    after = achievements(loaded, "2026-07")
    assert before.keys() == after.keys()
    assert after["indicator:DINKES-02"]["realisasi"] == 95.0
    # A cumulative coverage: against the line to date (95 x 7/12), and 100% of the year's.
    assert after["indicator:DINKES-02"]["capaian_raw"] == pytest.approx(95 / (95 * 7 / 12) * 100)
    assert after["indicator:DINKES-02"]["year_end_capaian"] == pytest.approx(100.0)


def test_cycle_status_is_left_to_the_caller(loaded: Engine) -> None:
    with session_scope(loaded) as session:
        session.add(m.EvaluationCycle(period="2026-07", status="running", counts={}, timings={}))
    compute(loaded, "2026-07")
    with session_scope(loaded) as session:
        cycle = session.scalars(select(m.EvaluationCycle)).one()
    assert cycle.status == "running" and cycle.rules_version == load_rules(RULES_FILE).version


def test_a_failure_leaves_the_previous_results(loaded: Engine) -> None:
    submit(loaded, "DINKES", "2026-07", {"DINKES-02": 60.0})
    compute(loaded, "2026-07")
    before = achievements(loaded, "2026-07")
    with pytest.raises(RuntimeError), session_scope(loaded) as session:
        compute_period(session, "2026-07", load_rules(RULES_FILE))
        raise RuntimeError("the caller's transaction fails after the compute")
    assert achievements(loaded, "2026-07") == before


def test_a_period_without_any_report(loaded: Engine) -> None:
    summary = compute(loaded, "2026-01")
    rows = achievements(loaded, "2026-01")
    assert summary["with_capaian"] == 0 and summary["missing"] > 0
    assert "missing" in rows["indicator:DINKES-02"]["flags"]  # monthly: due in January
    assert "not_expected" in rows["indicator:BMBK-01"]["flags"]  # semester: not due
    assert rows["indicator:BMBK-01"]["realisasi_state"] == "tidak_dijadwalkan"
    assert rows["agency:DINKES"]["capaian_scored"] is None
    assert rows["province"]["n_included"] == 0
