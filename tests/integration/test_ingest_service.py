"""Ingestion against a real database: receipt time, the inbox, duplicates per agency,
versions, rejections, what is refused, files that change while read, reader limits,
concurrency."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from iku import models as m
from iku.db import session_scope
from iku.ingest.archive import FileIdentity, verify_archive
from iku.ingest.context import IngestContext
from iku.ingest.service import (
    DUPLICATE,
    Prepared,
    Receipt,
    ingest_candidate,
    ingest_file,
    ingest_paths,
    prepare_file,
    scan_paths,
    store_prepared,
)
from iku.rules import IngestRules, Rules, load_rules
from iku.settings import TIMEZONE
from quality.validate import validate_period
from tests.conftest import RULES_FILE
from tests.integration.ingest_helpers import ARRIVAL, count, csv_text, make_context, put

GOOD = csv_text(
    "DINKES;2026-10;DINKES-01;46,35;;https://x/1.pdf;",
    "DINKES;2026-10;DINKES-02;93,10;;https://x/2.pdf;",
    "DINKES;2026-10;DINKES-03;;belum tersedia;;rilis SKI Desember",
)
NO_AGENCY = GOOD.replace("DINKES;2026-10", ";2026-10")  # no agency code inside the file


def _submissions(engine: Engine) -> list[m.Submission]:
    with engine.connect() as connection:
        return [
            m.Submission(**dict(row._mapping))
            for row in connection.execute(select(m.Submission.__table__).order_by("id"))
        ]


def replace_ingest(rules: Rules, **changes: float) -> IngestRules:
    return rules.ingest.model_copy(update=changes)


def test_archive_first_receipt_time_and_the_file_leaves_the_inbox(
    loaded: Engine, tmp_path: Path
) -> None:
    context = make_context(loaded, tmp_path)
    written = ARRIVAL - timedelta(days=2)  # the file's own time: for information only
    path = put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD, written)
    outcome = ingest_file(path, context)
    assert outcome.status == "staged" and outcome.rows == 3 and outcome.left_inbox
    (submission,) = _submissions(loaded)
    archived = Path(submission.archive_path)
    assert archived.read_bytes() == GOOD.encode()  # unchanged
    assert archived == tmp_path / "archive" / submission.sha256[:2] / f"{submission.sha256}.csv"
    assert stat.S_IMODE(archived.stat().st_mode) == 0o440
    assert stat.S_IMODE(archived.parent.stat().st_mode) == 0o750
    assert submission.received_at == ARRIVAL  # when the system saw it, in WIB
    assert submission.received_at.utcoffset() == timedelta(hours=7)
    assert submission.file_modified_at == written and submission.receipt_stated_by is None
    assert not path.exists()  # processed: out of the inbox, kept by the archive
    with loaded.connect() as connection:
        record = connection.execute(select(m.InboxFile.__table__)).one()
    assert (record.path, record.sha256, record.submission_id) == (
        "DINKES/okt.csv",
        submission.sha256,
        submission.id,
    )
    assert submission.row_count == count(loaded, m.StagedRow) == 3


@pytest.mark.parametrize(
    ("written", "received", "outcome", "late"),
    [
        # Back-dated to before the deadline, received after it: late, by its receipt time.
        ("2026-11-02 10:00", "2026-11-20 10:00", "staged", True),
        # Dated before the period ended (as if sent too early), received in time: accepted.
        ("2026-10-15 10:00", "2026-11-03 09:00", "staged", False),
        # Dated inside the open window, received after it closed: rejected.
        ("2026-12-20 10:00", "2027-02-01 09:00", "rejected", False),
    ],
)
def test_a_file_is_judged_by_its_receipt_time_not_its_own_time(
    loaded: Engine, tmp_path: Path, written: str, received: str, outcome: str, late: bool
) -> None:
    from datetime import datetime

    def wib(text: str) -> datetime:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TIMEZONE)

    context = make_context(loaded, tmp_path, now=wib(received))
    path = put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD, wib(written))
    result = ingest_file(path, context)
    assert result.status == outcome, result.reason
    if outcome == "rejected":
        assert result.rule == "period_outside_window"
        return
    with session_scope(loaded) as session:
        validated = validate_period(session, "2026-10", load_rules(RULES_FILE))
    rules = {rule for o in validated.routing.outcomes for rule in o.issues_by_rule}
    assert ("late_submission" in rules) is late


def test_a_stated_receipt_time_is_recorded_with_who_stated_it(
    loaded: Engine, tmp_path: Path
) -> None:
    context = make_context(loaded, tmp_path, now=ARRIVAL + timedelta(days=40))
    mailed = put(tmp_path / "email" / "DINKES" / "lampiran.csv", GOOD)
    stated = ARRIVAL - timedelta(hours=30)
    summary = ingest_paths([mailed], context=context, receipt=Receipt(stated, "Budi (Biro)"))
    (outcome,) = summary.files
    assert outcome.status == "staged" and outcome.receipt_stated_by == "Budi (Biro)"
    (submission,) = _submissions(loaded)
    assert submission.received_at == stated and submission.receipt_stated_by == "Budi (Biro)"
    assert mailed.exists()  # not the inbox: the operator's file stays where it is


def test_same_bytes_twice_from_one_agency_is_a_duplicate(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    first = ingest_file(put(tmp_path / "inbox" / "DINKES" / "a.csv", GOOD), context)
    again = ingest_file(put(tmp_path / "inbox" / "DINKES" / "copy.csv", GOOD), context)
    assert again.status == DUPLICATE and again.duplicate_of == first.submission_id
    assert again.left_inbox  # its bytes are archived already
    assert count(loaded, m.Submission) == 1 and count(loaded, m.StagedRow) == 3


def test_same_bytes_from_two_agencies_are_two_submissions_flagged_for_stewards(
    loaded: Engine, tmp_path: Path
) -> None:
    context = make_context(loaded, tmp_path)
    shared = NO_AGENCY.replace("DINKES-0", "X-0")  # codes of neither: the bytes matter here
    first = ingest_file(put(tmp_path / "inbox" / "DINKES" / "a.csv", shared), context)
    second = ingest_file(put(tmp_path / "inbox" / "RSUDAM" / "a.csv", shared), context)
    assert first.status == second.status == "staged"
    assert second.identical_to == [f"DINKES #{first.submission_id}"]
    assert count(loaded, m.Submission) == 2
    with session_scope(loaded) as session:
        validate_period(session, "2026-10", load_rules(RULES_FILE))
        flagged = session.execute(
            select(m.ValidationIssue.submission_id, m.ValidationIssue.observed).where(
                m.ValidationIssue.rule == "identical_to_other_agency"
            )
        ).all()
    # Validated together, each names the other.
    assert sorted(flagged) == [
        (first.submission_id, f"isi sama persis dengan kiriman RSUDAM #{second.submission_id}"),
        (second.submission_id, f"isi sama persis dengan kiriman DINKES #{first.submission_id}"),
    ]


def test_a_rejected_copy_never_hides_the_right_one(loaded: Engine, tmp_path: Path) -> None:
    """Dropped in the wrong folder (rightly rejected), then put in the right one: ingested."""
    context = make_context(loaded, tmp_path)
    wrong = ingest_file(put(tmp_path / "inbox" / "RSUDAM" / "okt.csv", GOOD), context)
    assert (wrong.status, wrong.rule) == ("rejected", "agency_mismatch")
    right = ingest_file(put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD), context)
    assert right.status == "staged" and right.rows == 3
    # The same agency resending bytes it had rejected is judged again, not a duplicate.
    early = put(tmp_path / "inbox" / "DINKES" / "nov.csv", GOOD.replace("2026-10", "2026-11"))
    assert ingest_file(early, context).rule == "period_outside_window"
    later = make_context(loaded, tmp_path, now=ARRIVAL + timedelta(days=30))
    resent = put(tmp_path / "inbox" / "DINKES" / "nov.csv", GOOD.replace("2026-10", "2026-11"))
    assert ingest_file(resent, later).status == "staged"


def test_newer_receipt_supersedes_and_an_older_one_is_history(
    loaded: Engine, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox" / "DINKES"
    first = ingest_file(put(inbox / "v1.csv", GOOD), make_context(loaded, tmp_path))
    later = make_context(loaded, tmp_path, now=ARRIVAL + timedelta(hours=5))
    second = ingest_file(put(inbox / "v2.csv", GOOD.replace("93,10", "93,40")), later)
    assert second.status == "staged" and second.supersedes_id == first.submission_id
    # A copy that reached the bureau by e-mail before v2, imported after it: history.
    mailed = put(tmp_path / "email" / "DINKES" / "v0.csv", GOOD.replace("93,10", "92,00"))
    third = ingest_paths(
        [mailed], context=later, receipt=Receipt(ARRIVAL + timedelta(hours=1), "operator")
    ).files[0]
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
    assert stat.S_IMODE(notice.stat().st_mode) == 0o640
    text = notice.read_text(encoding="utf-8")
    assert "DITOLAK" in text and "salah.csv" in text and "Yang perlu dilakukan" in text
    assert "Selasa, 3 November 2026 pukul 09.00 WIB" in text
    again = ingest_file(put(tmp_path / "inbox" / "DINKES" / "salah2.csv", bad), context)
    # The same bytes again: judged again (rejected copies are no duplicates), same notice.
    assert again.status == "rejected" and again.notice == outcome.notice


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


def test_agency_of_a_file_outside_an_agency_folder(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    loose = put(tmp_path / "downloads" / "laporan.csv", GOOD)
    assert ingest_file(loose, context).rule == "unknown_agency"
    assert ingest_paths([loose], agency="DINKES", context=context).files[0].status == "staged"
    wrong = put(tmp_path / "inbox" / "RSUDAM" / "x.csv", GOOD.replace("46,35", "46,36"))
    assert ingest_file(wrong, context, agency_hint="DINKES").rule == "agency_mismatch"


def _template(context: IngestContext, tmp_path: Path, agency: str) -> bytes:
    from iku.ingest.template import spec_for_agency, write_template

    spec = spec_for_agency(context, agency, "2026-10", ARRIVAL)
    for row in spec.rows:
        row.realisasi, row.note, row.evidence = 90.5, None, "https://bukti/x.pdf"
    path = write_template(spec, tmp_path / f"tpl-{agency}.xlsx")
    return path.read_bytes()


def test_a_filled_template_outside_an_agency_folder_carries_its_agency(
    loaded: Engine, tmp_path: Path
) -> None:
    context = make_context(loaded, tmp_path)
    template = _template(context, tmp_path, "DINKES")
    loose = ingest_file(put(tmp_path / "inbox" / "Realisasi_IKU.xlsx", template), context)
    assert (loose.status, loose.agency, loose.reader) == ("staged", "DINKES", "template")
    # In another agency's folder the folder decides, and the code inside conflicts with it.
    other = _template(context, tmp_path, "RSUDAM")
    wrong = ingest_file(put(tmp_path / "inbox" / "DINKES" / "rsudam.xlsx", other), context)
    assert (wrong.status, wrong.rule) == ("rejected", "agency_mismatch")
    # A plain CSV carries no trusted code: outside an agency folder its sender is unknown.
    plain = ingest_file(put(tmp_path / "inbox" / "laporan.csv", GOOD), context)
    assert plain.rule == "unknown_agency"


def test_what_is_ignored_refused_and_never_read(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    inbox = tmp_path / "inbox"
    secret = put(tmp_path / "secret" / ".env", "IKU_SMTP_PASSWORD=rahasia\n")
    outside = put(tmp_path / "secret" / "data.csv", GOOD.replace("46,35", "11,11"))
    put(inbox / "DINKES" / "~$okt.xlsx", b"lock")
    put(inbox / "DINKES" / ".DS_Store", b"x")
    put(inbox / "DINKES" / "okt.csv.filepart", GOOD)
    put(inbox / "DINKES" / "okt.xlsx.crdownload", b"PK")
    put(inbox / "DINKES" / "salinan.tmp", GOOD)
    put(inbox / "DISDIKBUD" / "DINSOS" / "titipan.csv", GOOD.replace("DINKES", "DINSOS"))
    (inbox / "DINKES" / "env.csv").symlink_to(secret)
    (inbox / "DINKES" / "data.csv").symlink_to(outside)
    (inbox / "RSUDAM").symlink_to(tmp_path / "secret", target_is_directory=True)
    os.mkfifo(inbox / "DINKES" / "pipa.csv")
    os.link(outside, inbox / "DINKES" / "tautan.csv")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(inbox / "DINKES" / "soket.csv"))
    try:
        summary = ingest_paths([inbox], context=context)
    finally:
        listener.close()
    statuses = {Path(f.file).name: f.status for f in summary.files}
    assert statuses == {
        "~$okt.xlsx": "ignored",
        ".DS_Store": "ignored",
        "okt.csv.filepart": "ignored",
        "okt.xlsx.crdownload": "ignored",
        "salinan.tmp": "ignored",
        "DINSOS": "refused",
        "env.csv": "refused",
        "data.csv": "refused",
        "RSUDAM": "refused",
        "pipa.csv": "refused",
        "tautan.csv": "refused",
        "soket.csv": "refused",
    }
    assert {r["file"] for r in summary.to_dict()["refused"]} == {
        str(f.file) for f in summary.refused
    }
    assert count(loaded, m.Submission) == 0 and count(loaded, m.InboxFile) == 0
    assert not (tmp_path / "archive").exists() or not list((tmp_path / "archive").rglob("*.*"))
    assert (inbox / "DISDIKBUD" / "DINSOS" / "titipan.csv").exists()  # left alone, unread


@pytest.mark.parametrize("change", ["grows", "disappears", "replaced"])
def test_a_file_that_changes_while_read_is_skipped_then_read_whole(
    loaded: Engine, tmp_path: Path, change: str
) -> None:
    context = make_context(loaded, tmp_path)
    path = put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD.splitlines(keepends=True)[0])
    (candidate,) = scan_paths([tmp_path / "inbox"], context).files
    if change == "grows":
        with path.open("a", encoding="utf-8") as upload:  # the upload was still being written
            upload.write("".join(GOOD.splitlines(keepends=True)[1:]))
    elif change == "disappears":
        path.rename(tmp_path / "okt.csv")  # moved away, as an uploader renaming it does
    else:
        path.unlink()
        put(path, GOOD)
    outcome = ingest_candidate(candidate, context, receipt=Receipt(ARRIVAL))
    assert outcome.status == "skipped" and "berikutnya" in (outcome.reason or "")
    assert count(loaded, m.Submission) == 0 and not list((tmp_path / "archive").rglob("*.csv"))
    if change == "disappears":
        put(path, GOOD)  # the finished upload arrives under its real name
    nxt = ingest_paths([tmp_path / "inbox"], context=context)
    assert [(f.status, f.rows) for f in nxt.files] == [("staged", 3)]


def test_a_file_that_could_not_leave_the_inbox_is_not_read_again(
    loaded: Engine, tmp_path: Path
) -> None:
    context = make_context(loaded, tmp_path)
    path = put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD)
    first = ingest_paths([tmp_path / "inbox"], context=context)
    assert first.files[0].status == "staged" and not path.exists()
    # Put back as it was when processed (a move that failed leaves exactly this): the record
    # is matched on path, size and times, so nothing is read or hashed, and it is removed.
    put(path, GOOD)
    identity = FileIdentity.of(os.lstat(path))
    with session_scope(loaded) as session:
        record = session.scalars(select(m.InboxFile)).one()
        record.modified_ns, record.changed_ns = identity.modified_ns, identity.changed_ns
    again = ingest_paths([tmp_path / "inbox"], context=context)
    (outcome,) = again.files
    assert outcome.status == DUPLICATE and outcome.duplicate_of == first.files[0].submission_id
    assert "sebelumnya" in (outcome.reason or "") and not path.exists()
    # A new upload under the same name (another change time) is read: here, a duplicate.
    put(path, GOOD)
    assert ingest_paths([tmp_path / "inbox"], context=context).files[0].reason == (
        f"sama persis dengan kiriman #{first.files[0].submission_id}"
    )


@pytest.mark.parametrize(
    ("limit", "value", "why"),
    [("max_read_seconds", 0.001, "batas waktu"), ("max_read_memory_bytes", 16 << 20, "memori")],
)
def test_a_file_over_the_reader_limits_is_rejected_and_the_scan_goes_on(
    loaded: Engine, tmp_path: Path, limit: str, value: float, why: str
) -> None:
    rules = load_rules(RULES_FILE)
    tight = rules.model_copy(update={"ingest": replace_ingest(rules, **{limit: value})})
    context = make_context(loaded, tmp_path, tight)
    rows = [{"indicator_code": f"DINKES-{n:02d}", "realisasi": n} for n in range(1, 6)]
    # About 4 MB of JSON that unpacks into some 60 MB of Python objects.
    heavy = {"period": "2026-10", "rows": rows, "lampiran": list(range(400_000, 1_000_000))}
    put(tmp_path / "inbox" / "DINKES" / "a_berat.json", json.dumps(heavy))
    put(tmp_path / "inbox" / "DINKES" / "b_biasa.csv", GOOD, ARRIVAL + timedelta(seconds=1))
    summary = ingest_paths([tmp_path / "inbox"], context=context)
    heavy_outcome = summary.files[0]
    assert (heavy_outcome.status, heavy_outcome.rule) == ("rejected", "file_too_complex")
    assert why in (heavy_outcome.reason or "")
    if limit == "max_read_memory_bytes":  # a normal file still fits the tight memory budget
        assert (summary.files[1].status, summary.files[1].rows) == ("staged", 3)
    context.close()


def test_a_corrupted_archive_file_is_detected_and_replaced(loaded: Engine, tmp_path: Path) -> None:
    context = make_context(loaded, tmp_path)
    first = ingest_file(put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD), context)
    archived = next((tmp_path / "archive").rglob("*.csv"))
    os.chmod(archived, 0o640)
    archived.write_bytes(b"rusak")
    checked, problems = verify_archive(tmp_path / "archive")
    assert checked == 1 and [p.path for p in problems] == [archived]
    # The same bytes arrive again (another agency): the archive copy is repaired from them.
    again = ingest_file(put(tmp_path / "inbox" / "RSUDAM" / "okt.csv", GOOD), context)
    assert again.sha256 == first.sha256 and archived.read_bytes() == GOOD.encode()
    assert verify_archive(tmp_path / "archive") == (1, [])


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
    inbox = tmp_path / "inbox" / "DINKES"
    paths = [put(inbox / f"v{n}.csv", GOOD.replace("93,10", f"93,{n:02d}")) for n in range(4)]
    prepared = [
        prepare_file(p, make_context(loaded, tmp_path, now=ARRIVAL + timedelta(n)))
        for n, p in enumerate(paths)
    ]
    barrier = threading.Barrier(len(prepared))
    context = make_context(loaded, tmp_path)

    def store(item: Prepared) -> None:
        barrier.wait()
        store_prepared(context, item)

    threads = [threading.Thread(target=store, args=(p,)) for p in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    current = [s.file_name for s in _submissions(loaded) if s.status == "staged"]
    assert current == ["v3.csv"] and count(loaded, m.Submission) == 4  # the latest receipt


def test_the_reader_process_holds_no_secret(
    loaded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IKU_SMTP_PASSWORD", "rahasia-smtp")
    context = make_context(loaded, tmp_path)
    assert ingest_file(put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD), context).rows == 3
    pool = context.readers()
    (reader,) = pool._all
    environment = Path(f"/proc/{reader.process.pid}/environ").read_bytes()
    assert b"rahasia-smtp" not in environment and b"IKU_DATABASE_URL" not in environment
    context.close()
    assert reader.process.poll() is not None  # closing the context ends its readers


def test_warming_starts_every_reader_process_ahead(loaded: Engine, tmp_path: Path) -> None:
    """A web process warms its readers at its first submission: the pool's processes are up
    and idle before the files that read at the same moment need them, and reading uses them
    (no process started on demand)."""
    context = make_context(loaded, tmp_path)
    pool = context.readers()
    pool.warm()
    assert len(pool._all) == pool.size == len(pool._idle)
    started = {worker.process.pid for worker in pool._all}
    assert all(worker.alive for worker in pool._all)
    pool.warm()  # nothing more to start
    assert {worker.process.pid for worker in pool._all} == started
    assert ingest_file(put(tmp_path / "inbox" / "DINKES" / "okt.csv", GOOD), context).rows == 3
    assert {worker.process.pid for worker in pool._all} == started
    workers = list(pool._all)
    context.close()
    assert not any(worker.alive for worker in workers)
