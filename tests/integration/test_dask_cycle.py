"""A monthly cycle on the Dask task runner (prefect-dask) with a local cluster of processes.

The runner comes from settings (``IKU_TASK_RUNNER=dask``), as in production, so the flow takes
its Dask branches: validation in agency groups and one task per bulletin on the workers.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from iku.catalog import read_catalog
from iku.operations.setup import setup
from iku.runtime import process_runtime, reset_process_runtime
from iku.simulate import simulate
from tests.conftest import CATALOG_DIR
from tests.integration.ingest_helpers import load_simulation

pytestmark = pytest.mark.slow


def test_cycle_runs_on_a_local_dask_cluster(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterStartTime

    from flows.monthly_evaluation import evaluate

    monkeypatch.setenv("IKU_TASK_RUNNER", "dask")
    monkeypatch.setenv("IKU_WORKERS", "2")
    reset_process_runtime()
    rt = process_runtime()
    assert rt.settings.task_runner == "dask"
    setup(rt)
    result = simulate(
        read_catalog(CATALOG_DIR),
        rt.rules,
        period="2026-10",
        out_dir=rt.paths.inbox,
        months=1,
        agencies=["DINKES", "RSUDAM", "BAPENDA"],
        seed=5,
    )
    load_simulation(rt, result.manifest_path)  # with the receipt times it states
    started = datetime.now(UTC)
    summary = evaluate(rt, "2026-10")
    assert summary["status"] == "completed"
    assert summary["counts"]["rows_in"] > 0
    render = summary["counts"]["steps"]["render"]
    assert render["failures"] == []
    with rt.engine.connect() as connection:
        rows = connection.scalar(sa.text("SELECT count(*) FROM bulletin"))
        agencies = connection.scalar(
            sa.text("SELECT count(DISTINCT agency_id) FROM indicator WHERE is_active")
        )
    # Every agency with IKU gets its bulletin (the silent ones show what is missing),
    # plus the province and the index.
    assert render["bulletins"] == rows == agencies + 2

    # The bulletins were rendered by the Dask workers, one task each, not in this process.
    manifest = json.loads((rt.paths.period_dir("2026-10") / "manifest.json").read_text())
    rendered_by = {f["rendered_by"] for f in manifest["files"] if f["audience"] != "index"}
    here = f":{os.getpid()}"
    assert rendered_by and not any(worker.endswith(here) for worker in rendered_by)
    # Only this cycle's task runs: the session's Prefect API also holds earlier tests' runs.
    recent = TaskRunFilter(start_time=TaskRunFilterStartTime(after_=started))
    with get_client(sync_client=True) as client:
        names = [run.name for run in client.read_task_runs(task_run_filter=recent, limit=200)]
    per_bulletin = [n for n in names if n.startswith("render-bulletin-")]
    assert len(per_bulletin) >= agencies + 1  # one task per bulletin (province included)
    assert not any(n.startswith("render-bulletins-in-processes") for n in names)
