"""The compute step as a plain function and as a Prefect flow, on the configured database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from iku import migrate
from iku import models as m
from iku.catalog import load_catalog
from iku.db import session_scope
from iku.operations.compute import compute
from iku.runtime import process_runtime
from tests.conftest import CATALOG_DIR
from tests.integration.test_achievement import submit


@pytest.fixture
def configured() -> None:
    """The settings' database (a temporary SQLite file) migrated, with the catalog and a report."""
    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    submit(
        process_runtime().engine,
        "DINKES",
        "2026-07",
        {"DINKES-02": 95.0, "DINKES-05": "belum_tersedia"},
    )


def _stored() -> dict[str, Any]:
    with session_scope(process_runtime().engine) as session:
        count = session.scalar(select(func.count()).select_from(m.Achievement))
        row = session.scalars(
            select(m.Achievement).where(m.Achievement.subject_key == "indicator:DINKES-02")
        ).one()
        return {"count": count, "capaian": row.capaian_raw, "state": row.realisasi_state}


def test_plain_step_without_prefect(configured: None) -> None:
    summary = compute(process_runtime(), "2026-07").as_dict()
    assert summary["period"] == "2026-07" and summary["rows"]["province"] == 1
    stored = _stored()
    assert stored["count"] == sum(summary["rows"].values())
    # DINKES-02 is a cumulative coverage: July's 95 against the line to date 95 x 7/12.
    assert stored["capaian"] == pytest.approx(95 / (95 * 7 / 12) * 100)


@pytest.mark.slow
def test_flow_computes_and_is_idempotent(configured: None, prefect_harness: None) -> None:
    from flows.compute import compute_period

    first = compute_period("2026-07")
    stored = _stored()
    second = compute_period("2026-07")
    assert first == second
    assert _stored() == stored
    assert stored["count"] == sum(first["rows"].values())
