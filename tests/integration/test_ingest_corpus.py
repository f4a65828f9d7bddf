"""The bad-input corpus behaves as its README documents (the README table is the test table)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import Engine, func, select

from iku import models as m
from iku.ingest.service import ingest_file
from tests.conftest import PROJECT_ROOT
from tests.integration.ingest_helpers import ARRIVAL, make_context, put

CORPUS = PROJECT_ROOT / "tests" / "data" / "bad_submissions"


def documented() -> list[dict[str, str]]:
    """The rows of the README's table."""
    lines = (CORPUS / "README.md").read_text(encoding="utf-8").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("| file |"))
    names = [c.strip() for c in lines[header_at].strip("|").split("|")]
    rows = []
    for line in lines[header_at + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        row = dict(zip(names, cells, strict=True))
        row["file"] = row["file"].strip("`")
        row["saved as"] = row["saved as"].strip("`") or row["file"]
        rows.append(row)
    return rows


CASES = documented()


def test_corpus_is_complete() -> None:
    scripts = ("README.md", "generate.py", "hostile.py", "__init__.py")
    files = {p.name for p in CORPUS.iterdir() if p.is_file() and p.name not in scripts}
    assert files == {row["file"] for row in CASES}
    assert len(CASES) >= 15


def test_every_file_has_its_documented_outcome(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    inbox = tmp_path / "inbox"
    problems = []
    for case in CASES:
        folder = inbox if case["folder"] == "-" else inbox / case["folder"]
        target = folder / case["saved as"]
        put(target, (CORPUS / case["file"]).read_bytes(), ARRIVAL)
        outcome = ingest_file(target, context)
        got = {
            "outcome": outcome.status,
            "rule": outcome.rule or "",
            "rows": str(outcome.rows),
        }
        want = {k: case[k] for k in ("outcome", "rule", "rows")}
        if got != want:
            problems.append(f"{case['file']}: expected {want}, got {got} ({outcome.reason})")
            continue
        with loaded.connect() as connection:
            statuses = dict(
                connection.execute(
                    select(m.StagedRow.parse_status, func.count())
                    .where(m.StagedRow.submission_id == outcome.submission_id)
                    .group_by(m.StagedRow.parse_status)
                ).all()
            )
        if outcome.status == "rejected":
            if statuses:
                problems.append(f"{case['file']}: half-loaded {statuses}")
            notice = Path(outcome.notice or "")
            text = notice.read_text(encoding="utf-8") if notice.is_file() else ""
            if "DITOLAK" not in text or (outcome.rule or "?") not in text:
                problems.append(f"{case['file']}: no proper notice at {notice}")
        for status in ("invalid", "ambiguous"):
            if str(statuses.get(status, 0)) != case[status]:
                problems.append(f"{case['file']}: {status} {statuses.get(status, 0)}")
    assert problems == []


def test_no_traceback_reaches_the_user(tmp_path: Path) -> None:
    """The CLI over the whole corpus prints outcomes, never a Python traceback."""
    from typer.testing import CliRunner

    from iku.cli import app

    assert CliRunner().invoke(app, ["setup"]).exit_code == 0
    inbox = tmp_path / "inbox" / "DINKES"
    inbox.mkdir(parents=True)
    for case in CASES:
        shutil.copyfile(CORPUS / case["file"], inbox / case["saved as"])
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "inbox"), "--json"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    summary = json.loads(result.output)
    assert summary["files_seen"] == len(CASES)
    assert {r["rule"] for r in summary["rejected"]} >= {"file_empty", "unsafe_file_name"}
