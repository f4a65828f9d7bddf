"""Ingestion against a real database: archive, duplicates, versions, rejections, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from iku import models as m
from iku.ingest.service import (
    DUPLICATE,
    Prepared,
    ingest_file,
    ingest_paths,
    prepare_file,
    store_prepared,
)
from iku.rules import IngestRules, Rules, load_rules
from tests.conftest import RULES_FILE
from tests.integration.ingest_helpers import ARRIVAL, count, csv_text, make_context, put

GOOD = csv_text(
    "DINKES;2026-10;DINKES-01;46,35;;https://x/1.pdf;",
    "DINKES;2026-10;DINKES-02;93,10;;https://x/2.pdf;",
    "DINKES;2026-10;DINKES-03;;belum tersedia;;rilis SKI Desember",
)


def _submissions(engine: Engine) -> list[m.Submission]:
    with engine.connect() as connection:
        return [
            m.Submission(**dict(row._mapping))
            for row in connection.execute(select(m.Submission.__table__).order_by("id"))
        ]


def test_archive_first_and_submission_record(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    path = put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD)
    outcome = ingest_file(path, context)
    assert outcome.status == "staged" and outcome.rows == 3
    (submission,) = _submissions(loaded)
    archived = Path(submission.archive_path)
    assert archived.read_bytes() == path.read_bytes()  # unchanged
    assert archived == tmp_path / "archive" / submission.sha256[:2] / f"{submission.sha256}.csv"
    assert submission.received_at == ARRIVAL  # the file's arrival time, in WIB
    assert submission.received_at.utcoffset() == timedelta(hours=7)
    assert submission.ingested_at is not None and submission.ingested_at > ARRIVAL
    assert (submission.period, submission.file_format, submission.reader) == (
        "2026-10",
        "csv",
        "csv",
    )
    assert submission.row_count == count(loaded, m.StagedRow) == 3


def test_same_bytes_twice_is_a_duplicate(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    first = ingest_file(put(tmp_path / "inbox" / "DINKES" / "a.csv", GOOD), context)
    again = ingest_file(put(tmp_path / "inbox" / "DINKES" / "copy.csv", GOOD), context)
    assert again.status == DUPLICATE and again.duplicate_of == first.submission_id
    assert count(loaded, m.Submission) == 1 and count(loaded, m.StagedRow) == 3


def test_newer_file_supersedes_and_older_arrival_is_history(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    inbox = tmp_path / "inbox" / "DINKES"
    first = ingest_file(put(inbox / "v1.csv", GOOD), context)
    newer = GOOD.replace("93,10", "93,40")
    second = ingest_file(put(inbox / "v2.csv", newer, ARRIVAL + timedelta(hours=5)), context)
    assert second.status == "staged" and second.supersedes_id == first.submission_id
    late_copy = GOOD.replace("93,10", "92,00")  # written before v2, ingested after it
    third = ingest_file(put(inbox / "v0.csv", late_copy, ARRIVAL + timedelta(hours=1)), context)
    assert third.status == "superseded" and third.supersedes_id is None
    statuses = {s.file_name: s.status for s in _submissions(loaded)}
    assert statuses == {"v1.csv": "superseded", "v2.csv": "staged", "v0.csv": "superseded"}
    assert count(loaded, m.StagedRow) == 9  # every version keeps its rows as history


def test_rejection_is_recorded_noticed_and_loads_nothing(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    bad = csv_text("RSUDAM;2026-10;DINKES-02;93,10;;;")
    outcome = ingest_file(put(tmp_path / "inbox" / "DINKES" / "salah.csv", bad), context)
    assert (outcome.status, outcome.rule) == ("rejected", "agency_mismatch")
    (submission,) = _submissions(loaded)
    assert submission.status == "rejected" and submission.rejection_rule == "agency_mismatch"
    assert "RSUDAM" in (submission.rejection_reason or "")
    assert count(loaded, m.StagedRow) == 0
    notice = Path(outcome.notice or "")
    assert notice.parent == tmp_path / "out" / "outbox" / "DINKES"
    text = notice.read_text(encoding="utf-8")
    assert "DITOLAK" in text and "salah.csv" in text and "Yang perlu dilakukan" in text
    assert "Selasa, 3 November 2026 pukul 09.00 WIB" in text
    again = ingest_file(put(tmp_path / "inbox" / "DINKES" / "salah2.csv", bad), context)
    assert again.status == DUPLICATE  # the same bytes: not a second rejection


def test_uploaded_name_is_never_a_path(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    path = put(tmp_path / "inbox" / "DINKES" / "upload.csv", GOOD)
    outcome = ingest_file(path, context, original_name="../../etc/passwd.csv")
    assert (outcome.status, outcome.rule) == ("rejected", "unsafe_file_name")
    archived = list((tmp_path / "archive").rglob("*.csv"))
    assert len(archived) == 1 and archived[0].name == f"{outcome.sha256}.csv"
    assert not (tmp_path / "etc").exists()


def test_size_limit_is_checked_before_parsing(loaded: Engine, tmp_path: Path) -> None:
    rules = load_rules(RULES_FILE)
    small = rules.model_copy(update={"ingest": replace_ingest(rules, max_file_bytes=100)})
    context = make_context(loaded, tmp_path, small)
    outcome = ingest_file(put(tmp_path / "inbox" / "DINKES" / "big.csv", GOOD), context)
    assert (outcome.status, outcome.rule) == ("rejected", "file_too_large")
    assert count(loaded, m.StagedRow) == 0


def replace_ingest(rules: Rules, **changes: int) -> IngestRules:
    return rules.ingest.model_copy(update=changes)


def test_agency_option_for_files_outside_the_layout(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    loose = put(tmp_path / "downloads" / "laporan.csv", GOOD)
    assert ingest_file(loose, context).rule == "unknown_agency"
    assert ingest_paths([loose], agency="DINKES", context=context).files[0].status == "staged"
    wrong = put(tmp_path / "inbox" / "RSUDAM" / "x.csv", GOOD.replace("46,35", "46,36"))
    assert ingest_file(wrong, context, agency_hint="DINKES").rule == "agency_mismatch"


def test_ingest_paths_skips_system_files_and_orders_by_arrival(
    loaded: Engine, tmp_path: Path
) -> None:
    context = make_context(loaded, tmp_path)
    inbox = tmp_path / "inbox"
    put(inbox / "DINKES" / "~$okt.xlsx", b"lock")
    put(inbox / "DINKES" / ".DS_Store", b"x")
    put(inbox / "DINKES" / "b_newer.csv", GOOD.replace("93,10", "93,40"), ARRIVAL + timedelta(1))
    put(inbox / "DINKES" / "a_older.csv", GOOD)
    summary = ingest_paths([inbox], context=context)
    statuses = [(Path(f.file).name, f.status) for f in summary.files]
    assert ("a_older.csv", "staged") in statuses and ("b_newer.csv", "staged") in statuses
    ignored = {name for name, status in statuses if status == "ignored"}
    assert ignored == {"~$okt.xlsx", ".DS_Store"}
    assert summary.superseded == 1 and summary.submissions_created == 2
    rerun = ingest_paths([inbox], context=context)
    assert rerun.submissions_created == 0 and rerun.duplicates == 2


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_concurrent_ingestions_never_store_a_file_twice(loaded: Engine, tmp_path: Path) -> None:
    """Two writers that both passed the duplicate pre-check: the database decides."""
    context = make_context(loaded, tmp_path)
    path = put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD)
    prepared = [prepare_file(path, context) for _ in range(4)]
    barrier = threading.Barrier(len(prepared))
    outcomes: list[str] = []

    def store(item: Prepared) -> None:
        barrier.wait()
        outcomes.append(store_prepared(context, item).status)

    threads = [threading.Thread(target=store, args=(p,)) for p in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate", "duplicate", "duplicate", "staged"]
    assert count(loaded, m.Submission) == 1 and count(loaded, m.StagedRow) == 3


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_concurrent_versions_keep_one_current(loaded: Engine, tmp_path: Path) -> None:
    """Different files for the same agency and period at once: exactly one stays current."""
    context = make_context(loaded, tmp_path)
    inbox = tmp_path / "inbox" / "DINKES"
    paths = [
        put(inbox / f"v{n}.csv", GOOD.replace("93,10", f"93,{n:02d}"), ARRIVAL + timedelta(n))
        for n in range(4)
    ]
    prepared = [prepare_file(p, context) for p in paths]
    barrier = threading.Barrier(len(prepared))

    def store(item: Prepared) -> None:
        barrier.wait()
        store_prepared(context, item)

    threads = [threading.Thread(target=store, args=(p,)) for p in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    current = [s.file_name for s in _submissions(loaded) if s.status == "staged"]
    assert current == ["v3.csv"] and count(loaded, m.Submission) == 4  # the latest arrival
