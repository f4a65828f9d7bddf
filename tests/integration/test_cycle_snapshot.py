"""A resubmission ingested during any stage of a running cycle never breaks it: the run works
on the versions current when it starts validating, and the resubmission enters at the next run.

The cycle runs stage by stage through the operations, as the monthly flow composes them; at
the first statement of each stage (in validation: just before it records the submissions'
outcomes, where a resubmission used to trip ``uq_submission_current``), another thread ingests
a new version of one agency's report, on its own connection, and the stage waits until that
ingestion has committed or is waiting for the stage's locks.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, event, select

from iku import models as m
from iku.bulletins.jobs import run_jobs
from iku.catalog import read_catalog
from iku.cycles import RunOutcome, outcome_status
from iku.db import make_engine
from iku.ingest.context import IngestContext
from iku.ingest.service import ingest_file
from iku.operations import compute, cycle, deliver, ingest, render, validate
from iku.runtime import Runtime
from iku.settings import Settings
from iku.simulate import simulate
from tests.conftest import CATALOG_DIR, POSTGRES_URL
from tests.integration.ingest_helpers import csv_text, put

PERIOD = "2026-10"
AGENCIES = ("BAPENDA", "BKD", "DINKES", "DINSOS", "DKPTPH", "RSUDAM")
#: Stage -> the statement (regex) at which the resubmission arrives; None: the stage's first.
STAGES: dict[str, str | None] = {
    "ingest": None,
    "validate": r"^UPDATE submission SET status=\S+, ",
    "compute": None,
    "render": None,
    "deliver": None,
    "finish": None,
}
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Resubmission:
    agency: str
    indicator: str
    old_value: float
    new_value: float
    path: Path


def _second_engine(engine: Engine, url: str) -> Engine:
    """Another engine on the same database (the resubmission's own connections)."""
    if engine.dialect.name != "postgresql":
        return make_engine(url)
    with engine.connect() as connection:
        schema = connection.scalar(sa.text("SELECT current_schema()"))
    return make_engine(
        POSTGRES_URL,
        connect_args={"options": f"-csearch_path={schema}", "application_name": "iku-resubmit"},
    )


class DuringStage:
    """Ingests a resubmission at a chosen statement of the cycle's engine, from another thread,
    and holds the stage until that ingestion has committed or waits for the stage's locks."""

    def __init__(self, engine: Engine, resubmit: Callable[[Resubmission], None]) -> None:
        self._engine = engine
        self._resubmit = resubmit
        self._armed: tuple[Resubmission, re.Pattern[str] | None] | None = None
        self.errors: list[BaseException] = []
        event.listen(engine, "before_cursor_execute", self._before)

    def arm(self, resubmission: Resubmission, pattern: str | None) -> None:
        self._armed = (resubmission, None if pattern is None else re.compile(pattern))

    def _before(self, *args: Any) -> None:
        statement = args[2]
        if self._armed is None:
            return
        resubmission, pattern = self._armed
        if pattern is not None and not pattern.search(statement):
            return
        self._armed = None

        def run() -> None:
            try:
                self._resubmit(resubmission)
            except BaseException as exc:
                self.errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        self._wait(thread)

    def _wait(self, thread: threading.Thread) -> None:
        # A bound on the wait, not a timing assertion: the outcome checked is the same
        # whether the ingestion committed first or queued behind the stage.
        deadline = time.monotonic() + 120
        postgres = self._engine.dialect.name == "postgresql"
        started = time.monotonic()
        while thread.is_alive() and time.monotonic() < deadline:
            if postgres and self._ingestion_waits():
                return
            if not postgres and time.monotonic() - started > 3:
                return  # SQLite: the writer waits in its busy handler, invisible from here
            thread.join(0.05)

    def _ingestion_waits(self) -> bool:
        with self._probe.connect() as connection:
            return bool(
                connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'iku-resubmit' AND wait_event_type = 'Lock'"
                    )
                )
            )

    _probe = sa.create_engine(POSTGRES_URL, poolclass=sa.NullPool)


def _run_cycle(rt: Runtime, before: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """The monthly flow's steps, one operation at a time (no Prefect); ``before(stage)`` is
    called as each stage begins."""
    steps: dict[str, Any] = {}
    with cycle.hold(rt, PERIOD) as held:
        fence = held.fence
        cycle.start(rt, PERIOD, fence=fence)
        before("ingest")
        held.ensure()
        steps["ingest"] = ingest.ingest(rt).to_dict()
        before("validate")
        held.ensure()
        parts = [
            validate.summary(validate.validate(rt, PERIOD, group, fence=fence))
            for group in validate.agency_groups(rt, PERIOD, 1, fence=fence)
        ]
        steps["validate"] = validate.merge_summaries(parts, PERIOD)
        validate.review_page(rt, PERIOD)
        before("compute")
        held.ensure()
        steps["compute"] = compute.compute(rt, PERIOD, fence=fence).as_dict()
        before("render")
        held.ensure()
        render_plan = render.plan(rt, PERIOD, subjects=("province", *AGENCIES), fence=fence)
        result = render.finish(rt, render_plan, run_jobs(render_plan.jobs, 1), fence=fence)
        steps["render"] = render.summary(result)
        before("deliver")
        held.ensure()
        steps["deliver"] = deliver.summary(deliver.deliver(rt, PERIOD, fence=fence))
        before("finish")
        held.ensure()
        outcome = RunOutcome(outcome_status(steps), steps, {})
        return cycle.finish(rt, PERIOD, outcome, fence=fence)


def _realisasi(engine: Engine, codes: list[str]) -> dict[str, float | None]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(m.Achievement.subject_key, m.Achievement.realisasi)
            .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Achievement.cycle_id)
            .where(
                m.EvaluationCycle.period == PERIOD,
                m.Achievement.subject_key.in_([f"indicator:{c}" for c in codes]),
            )
        ).all()
    return {key.split(":", 1)[1]: value for key, value in rows}


def _resubmissions(engine: Engine, folder: Path) -> dict[str, Resubmission]:
    """For each stage, one agency's new version: one monthly IKU with another value, arriving
    an hour after the agency's current file."""
    plan: dict[str, Resubmission] = {}
    with engine.connect() as connection:
        for stage, agency in zip(STAGES, AGENCIES, strict=True):
            code, value, received = connection.execute(
                select(m.StagedRow.indicator_code, m.StagedRow.value, m.Submission.received_at)
                .join(m.Submission, m.Submission.id == m.StagedRow.submission_id)
                .join(m.Agency, m.Agency.id == m.Submission.agency_id)
                .join(
                    m.Indicator,
                    (m.Indicator.code == m.StagedRow.indicator_code)
                    & (m.Indicator.agency_id == m.Agency.id),
                )
                .where(
                    m.Agency.code == agency,
                    m.Submission.status == "staged",
                    m.StagedRow.state == "angka",
                    m.StagedRow.value > 10,
                    m.Indicator.frequency == "monthly",
                )
                .order_by(m.StagedRow.source_row)
                .limit(1)
            ).one()
            new = round(value * 0.99, 2)
            text = f"{new:.2f}".replace(".", ",")
            path = put(
                folder / agency / f"revisi-{stage}.csv",
                csv_text(f"{agency};{PERIOD};{code};{text};;https://x.example/bukti;"),
                when=received + timedelta(hours=1),
            )
            plan[stage] = Resubmission(agency, code, value, new, path)
    return plan


def test_a_resubmission_during_any_stage_waits_for_the_next_run(
    loaded: Engine, tmp_path: Path
) -> None:
    settings = Settings()
    rt = Runtime(settings, engine=loaded)
    simulate(
        read_catalog(CATALOG_DIR),
        rt.rules,
        period=PERIOD,
        out_dir=rt.paths.inbox,
        months=1,
        agencies=list(AGENCIES),
        seed=15,
    )
    ingest.ingest(rt)  # the 15-minute inbox flow got the first versions already
    plan = _resubmissions(loaded, tmp_path / "resubmitted")
    other = _second_engine(loaded, str(loaded.url.render_as_string(hide_password=False)))
    context = IngestContext.load(other, rt.rules, rt.paths.archive, rt.paths.output)
    arrived: dict[str, str] = {}

    def resubmit(item: Resubmission) -> None:
        outcome = ingest_file(item.path, context)
        arrived[item.agency] = outcome.status

    hook = DuringStage(loaded, resubmit)
    try:
        first = _run_cycle(rt, lambda stage: hook.arm(plan[stage], STAGES[stage]))
    finally:
        event.remove(loaded, "before_cursor_execute", hook._before)
        other.dispose()
    assert hook.errors == []
    assert arrived == {item.agency: "staged" for item in plan.values()}
    assert first["status"] in ("completed", "partial")
    counts = first["counts"]
    assert counts["rows_in"] == counts["rows_accepted"] + counts["rows_quarantined"] > 0

    codes = [item.indicator for item in plan.values()]
    used = _realisasi(loaded, codes)
    # Arrived before the run froze its versions: this run used it.
    assert used[plan["ingest"].indicator] == pytest.approx(plan["ingest"].new_value)
    # Arrived after: this run kept the version it started with.
    for stage in ("validate", "compute", "render", "deliver", "finish"):
        item = plan[stage]
        assert used[item.indicator] == pytest.approx(item.old_value), stage
    with loaded.connect() as connection:
        waiting = set(
            connection.scalars(
                select(m.Agency.code)
                .join(m.Submission, m.Submission.agency_id == m.Agency.id)
                .where(m.Submission.period == PERIOD, m.Submission.status == "staged")
            )
        )
    assert waiting == {
        plan[s].agency for s in ("validate", "compute", "render", "deliver", "finish")
    }

    # The next run takes every new version.
    second = _run_cycle(rt)
    assert second["status"] in ("completed", "partial")
    after = _realisasi(loaded, codes)
    for stage, item in plan.items():
        assert after[item.indicator] == pytest.approx(item.new_value), stage
    with loaded.connect() as connection:
        current = connection.execute(
            select(m.Agency.code, sa.func.count())
            .join(m.Submission, m.Submission.agency_id == m.Agency.id)
            .where(m.Submission.period == PERIOD, m.Submission.status.in_(("staged", "validated")))
            .group_by(m.Agency.code)
        ).all()
    assert {code: n for code, n in current} == dict.fromkeys(AGENCIES, 1)
