"""A monthly cycle on the Dask task runner (prefect-dask) with a local cluster of processes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flows.runners import make_task_runner
from iku import migrate
from iku.catalog import load_catalog, read_catalog
from iku.db import get_engine
from iku.rules import get_rules
from iku.settings import Settings, get_settings
from iku.simulate import simulate
from tests.conftest import CATALOG_DIR
from tests.integration.ingest_helpers import load_simulation

pytestmark = pytest.mark.slow


def test_cycle_runs_on_a_local_dask_cluster(prefect_harness: None) -> None:
    from prefect_dask import DaskTaskRunner

    from flows.monthly_evaluation import monthly_evaluation

    migrate.upgrade()
    load_catalog(CATALOG_DIR)
    result = simulate(
        read_catalog(CATALOG_DIR),
        get_rules(),
        period="2026-10",
        out_dir=get_settings().inbox_dir,
        months=1,
        agencies=["DINKES", "RSUDAM", "BAPENDA"],
        seed=5,
    )
    load_simulation(result.manifest_path)  # with the receipt times it states
    runner = make_task_runner(Settings(task_runner="dask", workers=2))
    assert isinstance(runner, DaskTaskRunner)
    summary = monthly_evaluation.with_options(task_runner=runner)(period="2026-10")
    assert summary["status"] == "completed"
    assert summary["counts"]["rows_in"] > 0
    render = summary["counts"]["steps"]["render"]
    assert render["failures"] == []
    with get_engine().connect() as connection:
        rows = connection.scalar(sa.text("SELECT count(*) FROM bulletin"))
        agencies = connection.scalar(
            sa.text("SELECT count(DISTINCT agency_id) FROM indicator WHERE is_active")
        )
    # Every agency with IKU gets its bulletin (the silent ones show what is missing),
    # plus the province and the index.
    assert render["bulletins"] == rows == agencies + 2
