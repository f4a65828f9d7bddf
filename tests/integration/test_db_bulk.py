"""The fast database paths (iku.db: read_frame, bulk_insert, paused_gc) give what SQLAlchemy
gives, on both backends: timezone-aware timestamps in WIB, JSON lists, booleans, NULLs."""

from __future__ import annotations

import gc
from datetime import datetime

import pytest
from sqlalchemy import Engine, select

from iku import models as m
from iku.db import bulk_insert, paused_gc, read_frame, session_scope, table_of
from iku.settings import TIMEZONE

RECEIVED = datetime(2026, 11, 3, 9, 15, 30, tzinfo=TIMEZONE)


def _submission(engine: Engine) -> tuple[int, list[int]]:
    """A validated submission of DINKES and the ids of two of its indicators."""
    with session_scope(engine) as session:
        agency_id = session.scalar(select(m.Agency.id).where(m.Agency.code == "DINKES"))
        assert agency_id is not None
        submission = m.Submission(
            agency_id=agency_id,
            period="2026-10",
            file_name="dinkes.xlsx",
            file_format="xlsx",
            sha256="a" * 64,
            size_bytes=1,
            archive_path="archive/a",
            received_at=RECEIVED,
            status="validated",
            row_count=2,
        )
        session.add(submission)
        session.flush()
        indicator_ids = list(
            session.scalars(
                select(m.Indicator.id)
                .where(m.Indicator.agency_id == agency_id)
                .order_by(m.Indicator.id)
                .limit(2)
            )
        )
        return submission.id, indicator_ids


def test_bulk_insert_and_read_frame_round_trip(loaded: Engine) -> None:
    submission_id, (first, second) = _submission(loaded)
    with session_scope(loaded) as session:
        bulk_insert(
            session,
            table_of(m.Realisation),
            {
                "submission_id": [submission_id, submission_id],
                "indicator_id": [first, second],
                "period": ["2026-10", "2026-10"],
                "value": [85.5, None],
                "state": ["angka", "belum_tersedia"],
                "state_reason": [None, "data BPS rilis Desember"],
                "flags": [["outlier_zscore", "late_submission"], []],
                "source_row": [2, 3],
                "accepted_by": [None, None],
                "created_at": [RECEIVED, RECEIVED],
            },
        )
    with session_scope(loaded) as session:
        stored = session.scalars(select(m.Realisation).order_by(m.Realisation.source_row)).all()
        assert [(r.value, r.state, r.flags) for r in stored] == [
            (85.5, "angka", ["outlier_zscore", "late_submission"]),
            (None, "belum_tersedia", []),
        ]
        assert stored[0].created_at == RECEIVED and stored[1].state_reason is not None

        frame = read_frame(
            session,
            select(
                m.Realisation.value,
                m.Realisation.flags,
                m.Realisation.created_at,
                m.Submission.received_at.label("received"),
                m.Indicator.is_active,
            )
            .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
            .join(m.Indicator, m.Indicator.id == m.Realisation.indicator_id)
            .order_by(m.Realisation.source_row),
        )
    assert list(frame.columns) == ["value", "flags", "created_at", "received", "is_active"]
    assert frame["flags"].tolist() == [["outlier_zscore", "late_submission"], []]
    assert frame["is_active"].tolist() == [True, True]
    received = frame["received"].iloc[0]
    assert received == RECEIVED and received.utcoffset() == RECEIVED.utcoffset()
    assert frame["value"].iloc[0] == 85.5 and frame["value"].isna().iloc[1]


def test_bulk_insert_takes_rows_and_refuses_to_skip_a_python_default(loaded: Engine) -> None:
    submission_id, (first, _) = _submission(loaded)
    row = {
        "submission_id": submission_id,
        "indicator_id": first,
        "period": "2026-10",
        "value": 1.0,
        "state": "angka",
        "source_row": 2,
    }
    with session_scope(loaded) as session, pytest.raises(ValueError, match="created_at"):
        bulk_insert(session, table_of(m.Realisation), [row])
    with session_scope(loaded) as session:
        bulk_insert(
            session, table_of(m.Realisation), [{**row, "flags": [], "created_at": RECEIVED}]
        )
        assert session.scalar(select(m.Realisation.value)) == 1.0


def test_read_frame_of_no_rows_has_the_columns(loaded: Engine) -> None:
    with session_scope(loaded) as session:
        frame = read_frame(session, select(m.Realisation.id, m.Realisation.created_at))
    assert frame.empty and list(frame.columns) == ["id", "created_at"]


def test_gc_pauses_nest_and_restore_the_collector() -> None:
    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()
