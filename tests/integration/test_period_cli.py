"""``iku period approve|verify|lock|reopen|publish|show`` on PostgreSQL and SQLite (issue 17 item
5), and what a locked period refuses from the command line: an inbox file (archived, rejected
``period_locked``, nothing staged), a steward's decision, and ``iku run`` (figures frozen: it
says so and exits cleanly). Each refusal is one sentence, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from iku import models as m
from iku.cli import app
from iku.db import session_scope
from iku.operations.compute import compute
from iku.runtime import process_runtime
from tests.integration.figure_fixtures import issue_id, stage, validate
from tests.integration.ingest_helpers import csv_text, put

runner = CliRunner()
PASSWORD = "kata-sandi-uji-yang-panjang"
PERIOD = "2026-10"
USERS = (
    ("kadis", "agency_head", "DINKES"),
    ("biro", "bureau", None),
    ("rina", "steward", None),
)


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def _refused(*args: str, code: int = 1) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


@pytest.fixture
def period(cli_database: str) -> int:
    """A computed October: DINKES's file validated (one value not a number: an open item);
    an agency head of DINKES, a bureau account and a steward. Returns the open item."""
    _ok("setup")
    rt = process_runtime()
    stage(rt.engine, "DINKES", PERIOD, {"DINKES-01": "40,5", "DINKES-02": "bukan angka"})
    validate(rt.engine, PERIOD, rt.rules)
    compute(rt, PERIOD)
    for name, role, agency in USERS:
        extra = ["--agency", agency] if agency else []
        added = runner.invoke(
            app,
            ["users", "add", name, "--role", role, *extra, "--password-stdin"],
            input=PASSWORD + "\n",
        )
        assert added.exit_code == 0, added.output
    return issue_id(rt.engine, "not_a_number", "DINKES-02")


def _events() -> list[tuple[str, str | None, str, str | None]]:
    with session_scope(process_runtime().engine) as session:
        return [
            (e.action, e.agency_code, e.actor, e.reason)
            for e in session.scalars(select(m.PeriodEvent).order_by(m.PeriodEvent.id))
        ]


def _count(model: type[m.Base]) -> int:
    with session_scope(process_runtime().engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_period_commands(period: int, tmp_path: Path) -> None:
    denied = _refused("period", "approve", PERIOD, "--agency", "DINKES", "--by", "rina")
    assert "tidak berwenang" in denied
    assert "disetujui oleh kadis" in _ok(
        "period", "approve", PERIOD, "--agency", "DINKES", "--by", "kadis"
    )
    assert "sudah disetujui" in _refused(
        "period", "approve", PERIOD, "--agency", "DINKES", "--by", "kadis"
    )
    assert "diverifikasi oleh biro" in _ok(
        "period", "verify", PERIOD, "--agency", "DINKES", "--by", "biro"
    )
    assert "belum dikunci" in _refused("period", "publish", PERIOD, "--by", "biro")
    assert "dikunci oleh biro" in _ok("period", "lock", PERIOD, "--by", "biro")

    shown = _ok("period", "show", PERIOD)
    assert "DINKES" in shown and "diverifikasi Biro" in shown and "dikunci" in shown
    state = json.loads(_ok("period", "show", PERIOD, "--json"))
    dinkes = next(a for a in state["agencies"] if a["agency_code"] == "DINKES")
    assert (dinkes["approved_by"], dinkes["verified_by"]) == ("kadis", "biro")
    assert state["locked"] is True

    # A locked period: the decision is refused and nothing is recorded.
    decisions = _count(m.ReviewDecision)
    refused = _refused("review", "reject", str(period), "--by", "rina", "--note", "uji")
    assert "dikunci" in refused
    assert _count(m.ReviewDecision) == decisions

    # A file for it: archived, rejected with a readable reason, no row staged.
    rows = _count(m.StagedRow)
    inbox = process_runtime().paths.inbox
    put(inbox / "DINKES" / "oktober.csv", csv_text(f"DINKES;{PERIOD};DINKES-01;41;;;"))
    result = runner.invoke(
        app,
        ["ingest", "--json", "--received-at", "2026-11-03T09:15+07:00", "--by", "operator"],
    )
    assert "Traceback" not in result.output
    outcome = json.loads(result.output)
    (file,) = outcome["files"]
    assert (file["status"], file["rule"]) == ("rejected", "period_locked")
    assert _count(m.StagedRow) == rows

    # The run: figures frozen; it says so and exits cleanly, changing nothing.
    with session_scope(process_runtime().engine) as session:
        before = session.scalars(select(m.EvaluationCycle.status)).all()
    ran = _ok("run", "--period", PERIOD)
    assert "dikunci" in ran
    with session_scope(process_runtime().engine) as session:
        assert session.scalars(select(m.EvaluationCycle.status)).all() == before

    assert "dipublikasikan oleh biro" in _ok("period", "publish", PERIOD, "--by", "biro")
    _refused("period", "reopen", PERIOD, "--by", "biro", code=2)  # --reason is required
    reason = "Koreksi DINKES-01 atas surat Kepala Dinas"
    assert "dibuka kembali" in _ok("period", "reopen", PERIOD, "--reason", reason, "--by", "biro")
    assert _events() == [
        ("approve", "DINKES", "kadis", None),
        ("verify", "DINKES", "biro", None),
        ("lock", None, "biro", None),
        ("publish", None, "biro", None),
        ("reopen", None, "biro", reason),
    ]
    # Reopened: decisions are taken again.
    _ok("review", "reject", str(period), "--by", "rina", "--note", "bukan angka")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["period", "lock", "2026-13", "--by", "biro"], "tidak sah"),
        (["period", "lock", "2030-01", "--by", "biro"], "belum dihitung"),
        (["period", "approve", PERIOD, "--agency", "XYZ", "--by", "kadis"], "tidak dikenal"),
        (["period", "lock", PERIOD, "--by", "nobody"], "nobody"),
        (["period", "reopen", PERIOD, "--reason", "x", "--by", "biro"], "belum dikunci"),
    ],
)
def test_refusals_are_one_sentence(period: int, args: list[str], words: str) -> None:
    assert words in _refused(*args)


def test_the_monthly_flow_of_a_locked_period_stops_at_once(
    period: int, prefect_harness: None
) -> None:
    """A scheduled run (the deployment, not the CLI) of a locked period: no step runs, the
    figures and the cycle's record stay as they were, the summary says why."""
    from flows.monthly_evaluation import evaluate
    from iku.access import Actor, Role
    from iku.operations import periods

    rt = process_runtime()
    periods.lock(rt, PERIOD, actor=Actor("biro", Role.BUREAU))
    with session_scope(rt.engine) as session:
        before = [(c.status, c.finished_at) for c in session.scalars(select(m.EvaluationCycle))]
        achievements = int(session.scalar(select(func.count()).select_from(m.Achievement)) or 0)
    summary = evaluate(rt, PERIOD)
    assert summary["status"] == "locked"
    assert "dikunci" in summary["message"]
    with session_scope(rt.engine) as session:
        after = [(c.status, c.finished_at) for c in session.scalars(select(m.EvaluationCycle))]
        assert int(session.scalar(select(func.count()).select_from(m.Achievement)) or 0) == (
            achievements
        )
    assert after == before
