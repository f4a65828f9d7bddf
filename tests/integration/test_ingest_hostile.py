"""The hostile corpus, as its README documents it, in one inbox scan on both databases.

Every entry gets its documented outcome; every staged file's rows are all accounted after
validation (accepted + quarantined = rows, held rows quarantined as ``read_problem``, nothing
still staged); refused entries are never archived, read or recorded; no traceback; the clean
agencies validate. Plus what one scan cannot show: a reader that crashes, and the CLI over the
same inbox.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from iku import models as m
from iku.db import session_scope
from iku.ingest.service import ingest_paths
from iku.rules import load_rules
from iku.settings import TIMEZONE
from quality.validate import validate_period
from tests.conftest import PROJECT_ROOT, RULES_FILE
from tests.data.bad_submissions.hostile import lying_zip_bomb
from tests.integration.ingest_helpers import ARRIVAL, make_context, put

CORPUS = PROJECT_ROOT / "tests" / "data" / "bad_submissions"
SECRET = "IKU_SMTP_PASSWORD=rahasia-jangan-bocor"


def documented() -> list[dict[str, str]]:
    """The rows of the README's hostile table."""
    lines = (CORPUS / "README.md").read_text(encoding="utf-8").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("| hostile file |"))
    names = [c.strip() for c in lines[header_at].strip("|").split("|")]
    rows = []
    for line in lines[header_at + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


CASES = documented()


def entry(case: dict[str, str]) -> str:
    """The entry's path in the inbox, as an outcome names it."""
    folder = "" if case["folder"] == "-" else case["folder"] + "/"
    name = case["hostile file"]
    if case["built"] in ("committed", "generated"):
        name = case["saved as"] or name
    return folder + name


def build_inbox(root: Path) -> Path:
    inbox = root / "inbox"
    outside = root / "elsewhere"
    put(outside / ".env", SECRET + "\n")
    put(outside / "data.csv", "Kode IKU;Realisasi;Periode\nDINKES-02;1;2026-10\n")
    (outside / "agency").mkdir()
    put(outside / "agency" / "okt.csv", "Kode IKU;Realisasi;Periode\nDINKES-02;2;2026-10\n")
    for order, case in enumerate(CASES):
        target = inbox / entry(case)
        target.parent.mkdir(parents=True, exist_ok=True)
        built = case["built"]
        if built == "committed":
            shutil.copyfile(CORPUS / "hostile" / case["hostile file"], target)
        elif built == "generated":
            lying_zip_bomb(target)
        elif built.startswith("committed:"):
            put(
                target / case["saved as"],
                (CORPUS / "hostile" / built.split(":", 1)[1]).read_bytes(),
            )
            continue
        elif built == "symlink:/etc/passwd":
            target.symlink_to("/etc/passwd")
            continue
        elif built == "symlink:outside":
            target.symlink_to(outside / ".env")
            continue
        elif built == "symlink-dir:outside":
            target.symlink_to(outside / "agency", target_is_directory=True)
            continue
        elif built == "hardlink:outside":
            os.link(outside / "data.csv", target)
            continue
        elif built == "fifo":
            os.mkfifo(target)
            continue
        elif built == "dotfile":
            target.write_text("kunci\n")
            continue
        else:
            raise AssertionError(f"unknown build {built!r}")
        when = (
            datetime.strptime(case["mtime"], "%Y-%m-%d %H:%M").replace(tzinfo=TIMEZONE)
            if case["mtime"]
            else ARRIVAL - timedelta(minutes=len(CASES) - order)
        )
        os.utime(target, (when.timestamp(), when.timestamp()))
    return inbox


def test_the_table_covers_every_hostile_file() -> None:
    committed = {p.name for p in (CORPUS / "hostile").iterdir()}
    used = {c["hostile file"] for c in CASES if c["built"] == "committed"}
    used |= {c["built"].split(":", 1)[1] for c in CASES if c["built"].startswith("committed:")}
    assert committed == used


def test_every_hostile_entry_is_accounted(
    loaded: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = build_inbox(tmp_path)
    context = make_context(loaded, tmp_path)
    with caplog.at_level(logging.INFO, logger="iku"):
        summary = ingest_paths([inbox], context=context)
        with session_scope(loaded) as session:
            for period in ("2026-09", "2026-10"):
                validate_period(session, period, load_rules(RULES_FILE))
    context.close()

    by_entry: dict[str, list] = {}
    for outcome in summary.files:
        by_entry.setdefault(Path(outcome.file).relative_to(inbox).as_posix(), []).append(outcome)
    problems = []
    with loaded.connect() as connection:
        for case in CASES:
            name = entry(case)
            found = by_entry.get(name, [])
            # The same name twice (a wrong folder, then the right one) is two entries.
            outcome = found.pop(0) if found else None
            if outcome is None:
                problems.append(f"{name}: no outcome")
                continue
            got = (outcome.status, outcome.rule or "", str(outcome.rows), str(outcome.held))
            want = (case["outcome"], case["rule"], case["rows"], case["held"])
            if got != want:
                problems.append(f"{name}: expected {want}, got {got} ({outcome.reason})")
                continue
            if outcome.status in ("rejected", "refused") and not outcome.reason:
                problems.append(f"{name}: {outcome.status} without a reason")
            if outcome.status != "staged":
                continue
            submission = connection.execute(
                select(m.Submission).where(m.Submission.id == outcome.submission_id)
            ).one()
            accounted = (submission.accepted_rows or 0) + (submission.quarantined_rows or 0)
            if submission.status != "validated" or accounted != int(case["rows"]):
                problems.append(
                    f"{name}: after validation {submission.status}, {submission.accepted_rows} "
                    f"accepted + {submission.quarantined_rows} quarantined != {case['rows']}"
                )
            held = connection.scalar(
                select(func.count())
                .select_from(m.ValidationIssue)
                .where(
                    m.ValidationIssue.submission_id == outcome.submission_id,
                    m.ValidationIssue.rule == "read_problem",
                )
            )
            if held != int(case["held"]):
                problems.append(f"{name}: {held} read_problem issues, {case['held']} held")
        still = connection.scalar(
            select(func.count()).select_from(m.Submission).where(m.Submission.status == "staged")
        )
        identical = connection.execute(
            select(m.Agency.code)
            .join(m.Submission, m.Submission.agency_id == m.Agency.id)
            .join(m.ValidationIssue, m.ValidationIssue.submission_id == m.Submission.id)
            .where(m.ValidationIssue.rule == "identical_to_other_agency")
        ).scalars()
        controls = dict(
            connection.execute(
                select(m.Submission.file_name, m.Submission.accepted_rows).where(
                    m.Submission.file_name.in_(["kontrol.csv", "mundur.csv"])
                )
            ).all()
        )
        stored = {
            r.path for r in connection.execute(select(m.InboxFile.path)) if r.path is not None
        }
    assert problems == []
    assert still == 0  # every staged row routed, whatever the layout
    assert sorted(identical) == ["PEMPROV", "PSDA"]
    assert controls["kontrol.csv"] and controls["mundur.csv"]  # the clean agencies validated
    # Nothing refused or ignored was archived, recorded or left the inbox; the secret is
    # nowhere in the archive.
    not_read = {entry(c) for c in CASES if c["outcome"] in ("refused", "ignored")}
    assert not (stored & not_read)
    for path in (tmp_path / "archive").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"rahasia" not in data and b"root:" not in data, path
    assert (inbox / "DISDIKBUD" / "DINSOS" / "titipan.csv").exists()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_reader_that_crashes_rejects_that_file_and_the_scan_goes_on(
    loaded: Engine, tmp_path: Path
) -> None:
    """With the cell limit lifted, the fast reader gets the XFD1048576 workbook and aborts
    (SIGABRT), as it aborted the whole ingestion before: now only that file is rejected."""
    rules = load_rules(RULES_FILE)
    unsafe = rules.model_copy(
        update={"ingest": rules.ingest.model_copy(update={"max_cells": 10**15})}
    )
    context = make_context(loaded, tmp_path, unsafe)
    inbox = tmp_path / "inbox"
    put(inbox / "BAPENDA" / "a.xlsx", (CORPUS / "hostile" / "sel_xfd.xlsx").read_bytes())
    put(inbox / "RSUDAM" / "b.csv", (CORPUS / "hostile" / "kontrol.csv").read_bytes())
    summary = ingest_paths([inbox], context=context)
    context.close()
    crashed, clean = summary.files
    assert (crashed.status, crashed.rule) == ("rejected", "file_unreadable")
    assert "berhenti tidak wajar" in (crashed.reason or "")
    assert (clean.status, clean.rows) == ("staged", 4)


def test_the_cli_over_the_hostile_inbox_prints_no_traceback(isolated_settings: Path) -> None:
    from iku.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["setup"]).exit_code == 0
    build_inbox(isolated_settings)
    stated = ["--received-at", "2026-11-03T09:00+07:00", "--by", "uji"]
    ingested = runner.invoke(app, ["ingest", "--json", *stated])
    assert ingested.exit_code == 0, ingested.output
    assert "Traceback" not in ingested.output
    summary = json.loads(ingested.output)
    assert len(summary["refused"]) == sum(1 for c in CASES if c["outcome"] == "refused")
    table = runner.invoke(app, ["ingest", *stated])  # what is left: refused and ignored
    assert table.exit_code == 0 and "Traceback" not in table.output
    for command in (["validate", "--period", "2026-10"], ["review", "list"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
