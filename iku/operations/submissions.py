"""Receiving an agency's submission over the web (the portal and ``POST /api/v1/submissions``).

One operation for both front ends, over the existing ingestion and validation:

1. the receipt time is taken from the server's clock when the bytes arrive (never a time the
   sender states: no ``Last-Modified``, no file modification time);
2. the bytes are ingested by :func:`iku.ingest.service.ingest_file` (archived raw and unchanged
   first, read in a reader process, staged or rejected, a notice for a rejected file), for the
   caller's own agency: a file that names another agency is ``agency_mismatch`` and nothing is
   stored for that other agency;
3. the staged submission is validated at once (the Great Expectations suites of
   :mod:`quality`, the same held-row messages the stewards see);
4. the answer carries the row outcomes; the period's figures (the agency's, its sector's, the
   province's) are recomputed in the background by :class:`FigureWorker`, within seconds.

The monthly cycle stays the formal evaluation that issues bulletins.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.access import Action, Actor, require, visible_agencies
from iku.db import now_wib, session_scope
from iku.i18n import _
from iku.ingest.outcomes import DUPLICATE, IGNORED, REFUSED, REJECTED, SKIPPED
from iku.ingest.rejections import AGENCY_MISMATCH
from iku.processes import WorkerProcess
from iku.runtime import Runtime

if TYPE_CHECKING:  # ingestion (pandas) is imported when the first submission arrives
    from iku.ingest.context import IngestContext
    from iku.ingest.service import FileOutcome, Receipt
    from iku.rules import Rules
    from quality.validate import PreparedValidation

log = logging.getLogger("iku.operations.submissions")

#: File name suffixes a web submission may carry (the formats ingestion reads).
UPLOAD_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".json")


class SubmissionError(Exception):
    """A submission that cannot be taken: ``status`` (HTTP), ``code`` (stable, English) and a
    sentence for the person (translated). ``result``: what was stored, when something was
    (a rejected file is kept as evidence)."""

    def __init__(
        self, status: int, code: str, message: str, result: SubmissionResult | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.result = result


@dataclass
class RowResult:
    """One row of a submission as validation left it: ``accepted`` (in the figures; maybe with
    warnings) or ``held`` (waiting for a correction or a steward)."""

    source_row: int
    indicator_code: str
    raw_value: str | None
    outcome: str
    messages: list[str] = field(default_factory=list)


@dataclass
class SubmissionResult:
    id: int
    agency: str
    period: str | None
    file_name: str
    status: str
    received_at: datetime
    rows_in: int
    rows_accepted: int
    rows_held: int
    rows_superseded: int = 0
    issues: list[dict[str, Any]] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    duplicate: bool = False
    supersedes_id: int | None = None
    rejection_rule: str | None = None
    rejection_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agency": self.agency,
            "period": self.period,
            "file_name": self.file_name,
            "status": self.status,
            "received_at": self.received_at.isoformat(),
            "rows_in": self.rows_in,
            "rows_accepted": self.rows_accepted,
            "rows_held": self.rows_held,
            "rows_superseded": self.rows_superseded,
            "issues": self.issues,
            "rows": [
                {
                    "source_row": r.source_row,
                    "indicator_code": r.indicator_code,
                    "raw_value": r.raw_value,
                    "outcome": r.outcome,
                    "messages": r.messages,
                }
                for r in self.rows
            ],
            "duplicate": self.duplicate,
            "supersedes_id": self.supersedes_id,
            "rejection_rule": self.rejection_rule,
            "rejection_reason": self.rejection_reason,
        }


def submitting_agency(actor: Actor) -> str:
    """The one agency ``actor`` submits for (``AccessDenied`` when the role may not submit)."""
    scope = visible_agencies(actor, Action.SUBMIT)
    if scope is None or len(scope) != 1:
        require(actor, Action.SUBMIT, None)  # raises: submitting needs exactly one agency
    assert scope is not None
    agency = next(iter(scope))
    require(actor, Action.SUBMIT, agency)
    return agency


# --- reading what is stored ----------------------------------------------------------------

#: Submissions read per query by :func:`load_results` (far under any parameter limit).
_IDS_PER_QUERY = 500


def load_result(session: Session, submission_id: int) -> SubmissionResult | None:
    """A submission with its row outcomes (None: no such submission). Columns read on the
    session's connection, not ORM objects: every answer of the API reads one, and loading
    entities was a quarter of a busy web process's time."""
    return _load_results(session.connection(), [submission_id]).get(submission_id)


def _load_results(connection: Connection, ids: Sequence[int]) -> dict[int, SubmissionResult]:
    """:func:`load_result` of each of ``ids``, three queries whatever their number (a batch's
    answers are read together, right after its routing)."""
    ms = m.Submission
    vi = m.ValidationIssue
    found: dict[int, SubmissionResult] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = list(ids[start : start + _IDS_PER_QUERY])
        subs = connection.execute(
            select(
                ms.id,
                ms.period,
                ms.file_name,
                ms.status,
                ms.received_at,
                ms.row_count,
                ms.accepted_rows,
                ms.quarantined_rows,
                ms.supersedes_id,
                ms.rejection_rule,
                ms.rejection_reason,
                m.Agency.code,
            )
            .join(m.Agency, m.Agency.id == ms.agency_id)
            .where(ms.id.in_(chunk))
        ).all()
        issues: dict[int, list[Any]] = {}
        for issue in connection.execute(
            select(
                vi.submission_id,
                vi.id,
                vi.source_row,
                vi.indicator_code,
                vi.rule,
                vi.severity,
                vi.status,
                vi.message,
            )
            .where(vi.submission_id.in_(chunk))
            .order_by(vi.submission_id, vi.source_row, vi.id)
        ):
            issues.setdefault(issue.submission_id, []).append(issue)
        staged: dict[int, list[Any]] = {}
        for row in connection.execute(
            select(
                m.StagedRow.submission_id,
                m.StagedRow.source_row,
                m.StagedRow.indicator_code,
                m.StagedRow.raw_value,
            )
            .where(m.StagedRow.submission_id.in_(chunk))
            .order_by(m.StagedRow.submission_id, m.StagedRow.source_row)
        ):
            staged.setdefault(row.submission_id, []).append(row)
        for sub in subs:
            found[sub.id] = _result(sub, issues.get(sub.id, []), staged.get(sub.id, []))
    return found


def _result(sub: Any, issues: list[Any], staged: list[Any]) -> SubmissionResult:
    code = sub.code
    by_row: dict[int, list[Any]] = {}
    for issue in issues:
        by_row.setdefault(issue.source_row or 0, []).append(issue)
    rows = []
    for _submission, source_row, indicator, raw in staged:
        found_issues = by_row.get(source_row, [])
        held = sub.status == REJECTED or any(
            i.severity in ("error", "blocking") and i.status == "open" for i in found_issues
        )
        never_validated = sub.accepted_rows is None and sub.status != REJECTED
        if sub.status == "superseded" and never_validated:
            outcome = "superseded"  # a later receipt of the same period came first
        elif sub.status == "staged":
            outcome = "pending"
        else:
            outcome = "held" if held else "accepted"
        rows.append(
            RowResult(
                source_row=source_row,
                indicator_code=indicator,
                raw_value=raw,
                outcome=outcome,
                messages=[i.message for i in found_issues],
            )
        )
    rows_in = sub.row_count or 0
    accepted = sub.accepted_rows or 0
    held_count = sub.quarantined_rows if sub.quarantined_rows is not None else rows_in - accepted
    superseded_rows = 0
    if sub.status == REJECTED and sub.accepted_rows is None:
        accepted, held_count = 0, rows_in
    elif sub.status == "superseded" and sub.accepted_rows is None:
        accepted, held_count, superseded_rows = 0, 0, rows_in
    return SubmissionResult(
        id=sub.id,
        agency=code,
        period=sub.period,
        file_name=sub.file_name,
        status=sub.status,
        received_at=sub.received_at,
        rows_in=rows_in,
        rows_accepted=accepted,
        rows_held=held_count,
        rows_superseded=superseded_rows,
        issues=[
            {
                "id": i.id,
                "source_row": i.source_row,
                "indicator_code": i.indicator_code,
                "rule": i.rule,
                "severity": i.severity,
                "status": i.status,
                "message": i.message,
            }
            for i in issues
        ],
        rows=rows,
        supersedes_id=sub.supersedes_id,
        rejection_rule=sub.rejection_rule,
        rejection_reason=sub.rejection_reason,
    )


def list_submissions(
    session: Session, actor: Actor, *, period: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The submissions (every version) of the agencies ``actor`` may read, latest first."""
    scope = visible_agencies(actor, Action.SUBMISSION_READ)
    query = (
        select(m.Submission, m.Agency.code)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .order_by(m.Submission.received_at.desc(), m.Submission.id.desc())
        .limit(limit)
    )
    if scope is not None:
        query = query.where(m.Agency.code.in_(sorted(scope)))
    if period:
        query = query.where(m.Submission.period == period)
    return [
        {
            "id": sub.id,
            "agency": code,
            "period": sub.period,
            "file_name": sub.file_name,
            "status": sub.status,
            "received_at": sub.received_at.isoformat(),
            "rows_in": sub.row_count or 0,
            "rows_accepted": sub.accepted_rows or 0,
            "rows_held": sub.quarantined_rows or 0,
            "supersedes_id": sub.supersedes_id,
            "rejection_rule": sub.rejection_rule,
            "rejection_reason": sub.rejection_reason,
        }
        for sub, code in session.execute(query).all()
    ]


def get_submission(session: Session, actor: Actor, submission_id: int) -> SubmissionResult | None:
    """One submission if it exists (None) and ``actor`` may read its agency (``AccessDenied``)."""
    result = load_result(session, submission_id)
    if result is not None:
        require(actor, Action.SUBMISSION_READ, result.agency)
    return result


def write_serialiser(rt: Runtime) -> AbstractContextManager[Any]:
    """SQLite has one writer at a time and its busy handler is not fair: many threads of one
    process polling for the lock can starve one past its timeout. The web process's request
    threads store on this lock instead (its worker processes, validating and recomputing,
    are one writer each, which the busy handler serves); PostgreSQL needs none (row locks)."""
    if rt.engine.dialect.name == "sqlite":
        return threading.Lock()
    return nullcontext()


# --- the figures, recomputed in the background -----------------------------------------------


class FigureWorker:
    """One thread per web process that recomputes the figures of the periods submissions
    changed: the period and the later computed periods of its year (their year to date),
    coalescing the periods that wait at the same moment (twenty submissions of one period cost
    one recomputation). ``updated``: when each period's figures were last recomputed.

    The recomputation runs in ``worker`` (a child process of the web process: its pandas work
    would otherwise hold the GIL the web server's threads answer with); without one, here.

    ``settle``: how long the worker waits after a request for others to join it; ``spacing``:
    the least time between two recomputations (the figures stay within seconds of the data
    while a burst of submissions costs a few recomputations, not one each)."""

    def __init__(
        self,
        rt: Runtime,
        worker: WorkerProcess | None = None,
        *,
        settle: float = 0.3,
        spacing: float = 1.5,
    ) -> None:
        self.rt = rt
        self.worker = worker
        self.settle = settle
        self.spacing = spacing
        self._last = 0.0
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.updated: dict[str, datetime] = {}

    def request(self, period: str) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="iku-figures", daemon=True)
                self._thread.start()
        self._queue.put(period)

    def close(self, timeout: float = 30) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            time.sleep(max(self.settle, self._last + self.spacing - time.monotonic()))
            periods = {first}
            stop = False
            while True:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                else:
                    periods.add(more)
            for period in sorted(periods):
                try:
                    self.recompute(period)
                except Exception:
                    log.exception("the figures of %s could not be recomputed", period)
            self._last = time.monotonic()
            if stop:
                return

    def recompute(self, period: str) -> list[str]:
        started = time.monotonic()
        if self.worker is None:
            done = recompute_figures(self.rt.engine, self.rt.rules, period)
        else:
            done = self.worker.call(_recompute_in_worker, self.rt.rules, period)
        at = now_wib()
        for each in done:
            self.updated[each] = at
        log.info("figures of %s recomputed in %.2f s", ", ".join(done), time.monotonic() - started)
        return done


def recompute_figures(engine: Engine, rules: Rules, period: str) -> list[str]:
    """Recompute the figures of ``period`` and of the later computed periods of its year;
    return the periods recomputed."""
    from iku.engine.store import compute_period
    from iku.operations.review import periods_to_recompute

    done: list[str] = []
    with session_scope(engine) as session:
        for each in periods_to_recompute(session, period):
            session.scalar(
                select(m.EvaluationCycle.id)
                .where(m.EvaluationCycle.period == each)
                .with_for_update()
            )
            compute_period(session, each, rules)
            done.append(each)
    return done


# --- validation, micro-batched ---------------------------------------------------------------


@dataclass
class _Job:
    agency: str
    period: str
    submission_id: int | None = None
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    result: SubmissionResult | None = None


class _Arrival:
    """A submission announced to the :class:`Validator`; closing it (once counts) says it
    asks for nothing more or has asked."""

    def __init__(self, validator: Validator) -> None:
        self._validator: Validator | None = validator

    def close(self) -> None:
        validator, self._validator = self._validator, None
        if validator is not None:
            validator._arrived()


class Validator:
    """One thread per web process that validates the submissions waiting at the same moment
    in one run per period (one Great Expectations run for twenty agencies instead of twenty:
    the run's fixed cost is most of a small submission's validation). Each caller waits for
    its own job.

    The runs go to ``workers`` (child processes of the web process: Great Expectations is pure
    Python and would hold the GIL the web server's threads answer with); with several, each
    judges a share of the checks at the same time (a run is mostly the fixed cost of each
    expectation, so n processes judge a batch in about 1/n of the time), the first routes the
    merged findings. Without workers, runs go here. While a run goes on, the submissions
    arriving meanwhile wait for the next one."""

    def __init__(
        self,
        rt: Runtime,
        workers: Sequence[WorkerProcess] = (),
        *,
        linger: float = 0.05,
        gather: float = 0.6,
        follow_up: float = 0.25,
    ) -> None:
        self.rt = rt
        self.workers = list(workers)
        self._shares = (
            ThreadPoolExecutor(len(self.workers), thread_name_prefix="iku-validation-share")
            if len(self.workers) > 1
            else None
        )
        self.linger = linger
        self.gather = gather
        self.follow_up = follow_up
        #: When the last run ended and how many submissions it validated (:meth:`_gather`).
        self._last_run: tuple[float, int] = (0.0, 0)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._arriving = 0
        self.runs = 0

    def expect(self) -> _Arrival:
        """A submission is being taken that will likely ask for validation: the batch being
        gathered waits for it (see :meth:`_gather`) until its validation is asked for or the
        arrival is closed (the submission was a duplicate, rejected, or failed)."""
        with self._lock:
            self._arriving += 1
        return _Arrival(self)

    def _arrived(self) -> None:
        with self._lock:
            self._arriving -= 1

    def validate(
        self,
        agency: str,
        period: str,
        timeout: float = 600,
        *,
        arrival: _Arrival | None = None,
        submission_id: int | None = None,
    ) -> SubmissionResult | None:
        """Validate the agency's staged version of the period; return when it is done, with
        the outcome of ``submission_id`` as the batch read it right after routing (None if
        not asked or no longer there). ``arrival``: what :meth:`expect` gave for it."""
        job = _Job(agency, period, submission_id)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="iku-validator", daemon=True)
                self._thread.start()
        self._queue.put(job)
        if arrival is not None:
            arrival.close()
        if not job.done.wait(timeout):
            raise TimeoutError(f"validation of {agency} {period} did not finish")
        if job.error is not None:
            raise job.error
        return job.result

    def close(self, timeout: float = 30) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)
        if self._shares is not None:
            self._shares.shutdown(wait=True)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, stop = self._gather(first)
            by_period: dict[str, list[_Job]] = {}
            for job in jobs:
                by_period.setdefault(job.period, []).append(job)
            for period, waiting in sorted(by_period.items()):
                try:
                    wanted = sorted({j.submission_id for j in waiting if j.submission_id})
                    results = self.run_batch(period, sorted({j.agency for j in waiting}), wanted)
                    for job in waiting:
                        job.result = results.get(job.submission_id or 0)
                except BaseException as exc:
                    log.exception("validation of %s failed", period)
                    for job in waiting:
                        job.error = exc
                finally:
                    for job in waiting:
                        job.done.set()
            self._last_run = (time.monotonic(), len(jobs))
            if stop:
                return

    def _gather(self, first: _Job) -> tuple[list[_Job], bool]:
        """The jobs of the next run: ``first`` and those that join it while submissions are
        still being taken (:meth:`expect`), at most ``gather`` seconds, then ``linger`` seconds
        of quiet. Twenty submissions arriving together are stored one after another; a run
        started with the first few makes the others wait for it, then pay a run of their own
        (a whole fixed cost of Great Expectations).

        Right after a run (within ``follow_up`` seconds of its end) a smaller batch also waits
        out that time: the run's submitters were just answered and their next submissions are
        on their way (a submission that waited for the run would otherwise start a run of its
        own, alone, and every follow-up would wait for it). Whether the run stopped the
        thread too."""
        jobs = [first]
        started = time.monotonic()
        quiet_from = started
        last_end, last_size = self._last_run
        follow_until = last_end + self.follow_up
        while True:
            now = time.monotonic()
            with self._lock:
                arriving = self._arriving
            following = len(jobs) < last_size and now < follow_until
            waiting = arriving or following
            if now - started >= self.gather or (not waiting and now - quiet_from >= self.linger):
                return self._drained(jobs)
            wait = self.linger - (now - quiet_from) if not waiting else 0.02
            try:
                more = self._queue.get(timeout=max(0.005, min(wait, 0.02)))
            except queue.Empty:
                continue
            if more is None:
                return jobs, True
            jobs.append(more)
            quiet_from = time.monotonic()

    def _drained(self, jobs: list[_Job]) -> tuple[list[_Job], bool]:
        """``jobs`` and those already queued (a submission asks for its validation, then
        says it arrived: both may happen between two looks at the queue)."""
        while True:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                return jobs, False
            if more is None:
                return jobs, True
            jobs.append(more)

    def run_batch(
        self, period: str, agencies: list[str], wanted: Sequence[int] = ()
    ) -> dict[int, SubmissionResult]:
        """Validate the batch; the outcomes of the ``wanted`` submissions, read right after
        routing where it ran (a worker reads twenty in a row faster than twenty request
        threads of a busy web process each read theirs)."""
        started = time.monotonic()
        rules = self.rt.rules
        if not self.workers:
            judged, results = validate_batch(self.rt.engine, rules, period, agencies, wanted)
        elif self._shares is None:
            judged, results = self.workers[0].call(
                _validate_in_worker, rules, period, agencies, wanted
            )
        else:
            n = len(self.workers)
            shares = [
                self._shares.submit(worker.call, _judge_in_worker, rules, period, agencies, (i, n))
                for i, worker in enumerate(self.workers)
            ]
            judged_shares = [share.result() for share in shares]
            judged = time.monotonic() - started
            # The shares read the staged versions apart: if a version arrived between their
            # reads they judged different submissions, and the first validates again.
            same = len({submission_ids for submission_ids, _report in judged_shares}) == 1
            others = [report for _ids, report in judged_shares[1:]] if same else None
            results = self.workers[0].call(
                _route_in_worker, rules, period, agencies, others, wanted
            )
        self.runs += 1
        log.info(
            "validated %s for %d agencies in %.2f s (judged in %.2f s)",
            period,
            len(agencies),
            time.monotonic() - started,
            judged,
        )
        return results


def load_results(engine: Engine, submission_ids: Sequence[int]) -> dict[int, SubmissionResult]:
    """:func:`load_result` of each submission, in one transaction."""
    with session_scope(engine) as session:
        return _load_results(session.connection(), submission_ids)


def validate_batch(
    engine: Engine, rules: Rules, period: str, agencies: list[str], wanted: Sequence[int] = ()
) -> tuple[float, dict[int, SubmissionResult]]:
    """Validate the staged versions of ``agencies`` for ``period``: judge them reading only
    (the checks hold no lock, stores go on), then route them in a short write transaction; if
    a version of these agencies arrived meanwhile, validate again the usual way, under the
    lock. Returns the seconds the judging took and the outcomes of the ``wanted``
    submissions."""
    from quality.validate import apply_validation, prepare_validation, validate_period

    started = time.monotonic()
    with session_scope(engine) as session:
        prepared = prepare_validation(session, period, rules, agency=agencies)
    judged = time.monotonic() - started
    with session_scope(engine) as session:
        if apply_validation(session, prepared) is None:
            log.info("the staged versions of %s changed while judged: validating again", period)
            validate_period(session, period, rules, agency=agencies)
    return judged, load_results(engine, wanted)


# --- the web process's worker processes --------------------------------------------------------

#: The worker process's own engine (:func:`_start_worker`).
_worker_engine: dict[str, Engine] = {}


def _start_worker(database_url: str) -> None:
    from iku.db import make_engine

    _worker_engine["engine"] = make_engine(database_url)


def _warm_worker() -> None:
    """Import what validating and recomputing need (Great Expectations, the engine): seconds
    a worker's first batch would otherwise wait."""
    import iku.engine.store  # noqa: F401
    import quality.validate  # noqa: F401


def _validate_in_worker(
    rules: Rules, period: str, agencies: list[str], wanted: Sequence[int]
) -> tuple[float, dict[int, SubmissionResult]]:
    return validate_batch(_worker_engine["engine"], rules, period, agencies, wanted)


#: The validation the first share's worker judged, kept for its routing.
_worker_prepared: dict[str, PreparedValidation] = {}


def _judge_in_worker(
    rules: Rules, period: str, agencies: list[str], part: tuple[int, int]
) -> tuple[frozenset[int], bytes]:
    """Judge a share of the checks: the submissions judged and the share's report, pickled
    here (the web process passes it on to the first share's worker without reading it, so it
    never imports Great Expectations). The first share keeps its frames to route with."""
    from quality.validate import prepare_validation

    with session_scope(_worker_engine["engine"]) as session:
        prepared = prepare_validation(session, period, rules, agency=agencies, part=part)
    if part[0] == 0:
        _worker_prepared["batch"] = prepared
    return prepared.submission_ids, pickle.dumps(prepared.report)


def _route_in_worker(
    rules: Rules,
    period: str,
    agencies: list[str],
    others: list[bytes] | None,
    wanted: Sequence[int],
) -> dict[int, SubmissionResult]:
    """Route the kept validation with the findings of every share merged; with no other
    shares' reports (they judged different versions), or if a version arrived meanwhile,
    validate again the usual way, under the lock. The outcomes of the ``wanted``
    submissions."""
    from quality.runner import merge_reports
    from quality.validate import apply_validation, validate_period

    engine = _worker_engine["engine"]
    prepared = _worker_prepared.pop("batch", None)
    with session_scope(engine) as session:
        routed = False
        if prepared is not None and others is not None:
            # The bytes come from this validation's own worker processes, nobody else's.
            shares = [prepared.report, *(pickle.loads(blob) for blob in others)]
            prepared.report = merge_reports(shares)
            routed = apply_validation(session, prepared) is not None
        if not routed:
            log.info("the staged versions of %s changed while judged: validating again", period)
            validate_period(session, period, rules, agency=agencies)
    return load_results(engine, wanted)


def _recompute_in_worker(rules: Rules, period: str) -> list[str]:
    return recompute_figures(_worker_engine["engine"], rules, period)


def worker_process(rt: Runtime, name: str) -> WorkerProcess:
    """A worker process of the web process, connected to ``rt``'s database by its engine's
    URL (everything the connection needs is in the URL, as ``IKU_DATABASE_URL`` gives it)."""
    url = rt.engine.url.render_as_string(hide_password=False)
    return WorkerProcess(name, _start_worker, (url,))


# --- receiving -----------------------------------------------------------------------------


class SubmissionDesk:
    """What a web process keeps between submissions: one ingestion context (its reader
    processes stay warm; the catalog is read again every ``refresh_seconds``) and the figure
    worker. Thread-safe: the web server calls :meth:`submit` from many threads."""

    def __init__(self, rt: Runtime, *, refresh_seconds: float = 300) -> None:
        self.rt = rt
        self.refresh_seconds = refresh_seconds
        self.writes = write_serialiser(rt)
        self._workers = [
            worker_process(rt, "validation"),
            worker_process(rt, "validation-2"),
            worker_process(rt, "figures"),
        ]
        self.validator = Validator(rt, self._workers[:2])
        self.figures = FigureWorker(rt, self._workers[2])
        self._context: IngestContext | None = None
        self._agency_locks: dict[str, threading.Lock] = {}
        #: (submission id, channel, error) of each notice sent, in order (tests, the log).
        self.notices: list[tuple[int, str, str | None]] = []
        self._notice_threads: list[threading.Thread] = []
        self._loaded_at = 0.0
        self._warmed = False
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Start the worker processes and the reader processes (once; at the first
        submission, so a web process that takes none never starts them) so that the first
        batches do not wait for them."""
        with self._lock:
            if self._warmed:
                return
            self._warmed = True
        for worker in self._workers:
            worker.start(_warm_worker)
        readers = self.context().readers()
        threading.Thread(target=readers.warm, name="iku-readers-warm", daemon=True).start()

    def context(self) -> IngestContext:
        with self._lock:
            stale = time.monotonic() - self._loaded_at > self.refresh_seconds
            if self._context is None or stale:
                from iku.ingest.context import IngestContext

                fresh = IngestContext.from_runtime(self.rt)
                fresh.inbox_dir = None  # uploads never come from the inbox
                if self._context is not None:
                    fresh._readers = self._context._readers  # keep the warm reader processes
                self._context = fresh
                self._loaded_at = time.monotonic()
            return self._context

    def agency_lock(self, agency: str) -> threading.Lock:
        """One agency's submissions are taken one at a time (ingested, then validated), so a
        version is validated before the next one supersedes it."""
        with self._lock:
            return self._agency_locks.setdefault(agency, threading.Lock())

    def close(self) -> None:
        for thread in list(self._notice_threads):
            thread.join(30)
        self.validator.close()
        self.figures.close()
        for worker in self._workers:
            worker.close()
        with self._lock:
            if self._context is not None:
                self._context.close()
                self._context = None

    def submit(
        self,
        actor: Actor,
        data: bytes,
        file_name: str,
        *,
        received_at: datetime | None = None,
    ) -> SubmissionResult:
        """Take ``data`` (a file named ``file_name``) from ``actor`` for its agency.

        ``received_at``: the server's clock when the bytes arrived (default: now); never a
        time the sender gives. Raises :class:`SubmissionError` (413 too large, 422 a rejected
        file, ``agency_mismatch`` among them), :class:`iku.periods.PeriodLockedError` (the
        period is locked: nothing stored, 409) or ``AccessDenied``."""
        from iku.ingest.service import Receipt

        receipt = Receipt(received_at or now_wib())
        self.warm()
        agency = submitting_agency(actor)
        rules = self.rt.rules
        if len(data) > rules.ingest.max_file_bytes:
            size = f"{len(data):,}".replace(",", ".")
            limit = f"{rules.ingest.max_file_bytes:,}".replace(",", ".")
            raise SubmissionError(
                413,
                "file_too_large",
                _(
                    "The file is %(size)s bytes, over the limit of %(limit)s bytes; split it "
                    "or remove what is not IKU data.",
                    size=size,
                    limit=limit,
                ),
            )
        name = Path(file_name.replace("\\", "/")).name or "kiriman"
        if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
            raise SubmissionError(
                422,
                "unsupported_format",
                _("Send an .xlsx, .csv or .json file (the template is an .xlsx file)."),
            )
        started = time.monotonic()
        with self.agency_lock(agency):
            log.debug(
                "waited %.2f s for %s's earlier submission", time.monotonic() - started, agency
            )
            return self._take(actor, agency, data, name, receipt)

    def _take(
        self, actor: Actor, agency: str, data: bytes, name: str, receipt: Receipt
    ) -> SubmissionResult:
        arrival = self.validator.expect()
        try:
            return self._take_announced(actor, agency, data, name, receipt, arrival)
        finally:
            arrival.close()

    def _take_announced(
        self,
        actor: Actor,
        agency: str,
        data: bytes,
        name: str,
        receipt: Receipt,
        arrival: _Arrival,
    ) -> SubmissionResult:
        clock = time.monotonic()
        context = self.context()
        spool = Path(tempfile.mkdtemp(prefix="unggahan-", dir=self._spool_root()))
        try:
            path = spool / f"kiriman{Path(name).suffix.lower()}"
            with open(path, "wb") as handle:
                handle.write(data)
            os.chmod(path, 0o640)
            outcome = self._ingest(path, context, agency, name, receipt)
        finally:
            for child in spool.iterdir():
                child.unlink(missing_ok=True)
            spool.rmdir()
        ingested = time.monotonic()
        log.info(
            "web submission by %s for %s: %s (%s), ingested in %.2f s",
            actor.username,
            agency,
            outcome.status,
            outcome.submission_id or outcome.duplicate_of,
            ingested - clock,
        )
        if outcome.status == DUPLICATE and outcome.duplicate_of is not None:
            with session_scope(self.rt.engine) as session:
                result = load_result(session, outcome.duplicate_of)
            assert result is not None
            result.duplicate = True
            return result
        if outcome.status in (IGNORED, REFUSED, SKIPPED) or outcome.submission_id is None:
            raise SubmissionError(
                422,
                outcome.rule or "file_unreadable",
                _(
                    "The file was not accepted: %(reason)s",
                    reason=outcome.reason or _("it could not be read"),
                ),
            )
        if outcome.status == REJECTED:
            with session_scope(self.rt.engine) as session:
                result = load_result(session, outcome.submission_id)
            code = outcome.rule or "rejected"
            message = (
                _(
                    "The file names another agency: %(reason)s Nothing was stored for that "
                    "agency; send your own agency's file.",
                    reason=outcome.reason or "",
                )
                if code == AGENCY_MISMATCH
                else _("The file was not accepted: %(reason)s", reason=outcome.reason or "")
            )
            if result is not None:
                self.notify(result, rejection=outcome.reason or code)
            raise SubmissionError(422, code, message, result)
        assert outcome.period is not None
        result = self.validator.validate(
            agency, outcome.period, arrival=arrival, submission_id=outcome.submission_id
        )
        validated = time.monotonic()
        if result is None:
            with session_scope(self.rt.engine) as session:
                result = load_result(session, outcome.submission_id)
        assert result is not None
        log.debug(
            "submission %s: validated %.2f s after ingestion, answered %.2f s later",
            outcome.submission_id,
            validated - ingested,
            time.monotonic() - validated,
        )
        if result.status == "validated" and outcome.status == "staged":
            self.figures.request(outcome.period)
        if result.status == REJECTED:
            self.notify(result, rejection=result.rejection_reason or result.rejection_rule or "")
        elif result.rows_held:
            self.notify(result)
        return result

    def notify(self, result: SubmissionResult, *, rejection: str | None = None) -> None:
        """Tell the agency (e-mail or .eml) what was rejected or held and what to correct, in
        a thread of its own (the answer does not wait for the mail server) that has the
        figures' worker process compose and send it."""
        from iku.delivery.submission_notices import HeldRow, SubmissionNotice, send_notice

        held = [
            HeldRow(i["source_row"], i["indicator_code"], i["message"])
            for i in result.issues
            if i["severity"] in ("error", "blocking")
        ]
        notice = SubmissionNotice(
            agency_code=result.agency,
            agency_name=self.context().agency_names.get(result.agency, result.agency),
            submission_id=result.id,
            file_name=result.file_name,
            period=result.period,
            received_at=result.received_at,
            rejection=rejection,
            held=held,
            rows_in=result.rows_in,
            rows_accepted=result.rows_accepted,
        )

        def send() -> None:
            try:
                # Composed and sent in the figures' worker process: twenty notices of one
                # batch would otherwise hold the GIL the next requests are read with.
                channel, _path, error = self._workers[2].call(send_notice, notice, self.rt.settings)
                self.notices.append((result.id, channel, error))
            except Exception:
                log.exception("the notice of submission %s could not be sent", result.id)

        thread = threading.Thread(target=send, name="iku-notice", daemon=True)
        thread.start()
        self._notice_threads.append(thread)
        self._notice_threads = [t for t in self._notice_threads if t.is_alive()]

    def _ingest(
        self, path: Path, context: IngestContext, agency: str, name: str, receipt: Receipt
    ) -> FileOutcome:
        """:func:`iku.ingest.service.ingest_file` in two steps: archive and read (no database
        writes, in parallel), then store (one writer at a time on SQLite)."""
        from iku.ingest.service import (
            FileOutcome,
            prepare_file,
            raise_if_period_locked,
            store_prepared,
        )

        began = time.monotonic()
        try:
            prepared = prepare_file(
                path, context, agency_hint=agency, original_name=name, receipt=receipt
            )
        except ValueError as exc:
            return FileOutcome(file=name, status=SKIPPED, reason=str(exc).split(": ", 1)[-1])
        raise_if_period_locked(context, prepared)  # PeriodLockedError: nothing stored (409)
        if prepared.outcome.status == DUPLICATE:
            return prepared.outcome
        read = time.monotonic()
        with self.writes:
            waited = time.monotonic()
            stored = store_prepared(context, prepared)
        log.debug(
            "%s: read in %.2f s, waited %.2f s to store, stored in %.2f s",
            name,
            read - began,
            waited - read,
            time.monotonic() - waited,
        )
        return stored

    def _spool_root(self) -> Path:
        root = self.rt.paths.archive / ".unggahan"
        root.mkdir(parents=True, exist_ok=True, mode=0o750)
        return root


def count_by_status(session: Session, agency: str, period: str) -> dict[str, int]:
    """How many submissions of the agency and period are in each status (tests, portal)."""
    rows = session.execute(
        select(m.Submission.status, func.count())
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(m.Agency.code == agency, m.Submission.period == period)
        .group_by(m.Submission.status)
    ).all()
    return {status: int(n) for status, n in rows}


# --- the portal's period form --------------------------------------------------------------


@dataclass
class FormLine:
    """One line of the portal's period form: an IKU that is due, what is in force, what was
    last reported, and (after a submission) what the agency wrote."""

    code: str
    name: str
    unit: str
    target_text: str
    evidence_required: bool
    cumulative: bool
    min_value: float | None
    max_value: float | None
    last_value: float | None = None
    last_period: str | None = None
    realisasi: str = ""
    status: str = ""
    evidence: str = ""
    note: str = ""


#: The states the form offers (the template's list): value -> the JSON format's state.
FORM_STATES: tuple[tuple[str, str], ...] = (
    ("angka", "angka"),
    ("belum_tersedia", "belum tersedia"),
    ("tidak_dilaporkan", "tidak dilaporkan"),
)


def form_lines(desk: SubmissionDesk, agency: str, period: str) -> list[FormLine]:
    """The IKU due from ``agency`` in ``period`` (as the template lists them), each with its
    last accepted value before ``period``."""
    from iku.ingest.template import spec_for_agency

    context = desk.context()
    spec = spec_for_agency(context, agency, period, now_wib())
    infos = context.indicators
    last = last_values(desk.rt, agency, period)
    lines = []
    for row in spec.rows:
        info = next((i for i in infos.values() if i.code == row.code), None)
        value, at = last.get(row.code, (None, None))
        lines.append(
            FormLine(
                code=row.code,
                name=row.name,
                unit=row.unit,
                target_text=row.target_text,
                evidence_required=bool(info and info.evidence_required),
                cumulative=bool(info and info.cumulative),
                min_value=info.min_value if info else None,
                max_value=info.max_value if info else None,
                last_value=value,
                last_period=at,
            )
        )
    return lines


def last_values(rt: Runtime, agency: str, period: str) -> dict[str, tuple[float | None, str]]:
    """Per IKU code: the latest accepted value of a counted version before ``period``."""
    with session_scope(rt.engine) as session:
        rows = session.execute(
            select(m.Indicator.code, m.Realisation.value, m.Realisation.period)
            .join(m.Indicator, m.Indicator.id == m.Realisation.indicator_id)
            .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
            .join(m.Agency, m.Agency.id == m.Submission.agency_id)
            .where(
                m.Agency.code == agency,
                m.Realisation.period < period,
                m.Submission.status == "validated",
            )
            .order_by(m.Realisation.period, m.Submission.received_at)
        ).all()
    found: dict[str, tuple[float | None, str]] = {}
    for code, value, at in rows:
        found[code] = (value, at)
    return found


def form_json(agency: str, period: str, lines: list[FormLine]) -> bytes:
    """The form's lines as a submission in the documented JSON format (lines left empty are
    not sent)."""
    import json

    states = dict(FORM_STATES)
    rows = []
    for line in lines:
        if not (line.realisasi.strip() or line.status.strip()):
            continue
        row: dict[str, Any] = {
            "indicator_code": line.code,
            "realisasi": line.realisasi.strip() or None,
        }
        if line.status.strip():
            row["state"] = states.get(line.status.strip(), line.status.strip())
        if line.evidence.strip():
            row["evidence_url"] = line.evidence.strip()
        if line.note.strip():
            row["note"] = line.note.strip()
        rows.append(row)
    return json.dumps(
        {"agency_code": agency, "period": period, "rows": rows}, ensure_ascii=False
    ).encode("utf-8")


def agency_reminders(session: Session, agency: str, limit: int = 12) -> list[dict[str, Any]]:
    """The reminders the agency received, latest first (the portal's list)."""
    rows = session.execute(
        select(m.Reminder.period, m.Reminder.sent_on, m.Reminder.channel, m.Reminder.missing_iku)
        .join(m.Agency, m.Agency.id == m.Reminder.agency_id)
        .where(m.Agency.code == agency, m.Reminder.status == "sent")
        .order_by(m.Reminder.sent_on.desc(), m.Reminder.id.desc())
        .limit(limit)
    ).all()
    return [
        {"period": p, "sent_on": d, "channel": c, "missing": list(missing or [])}
        for p, d, c, missing in rows
    ]


def agency_figures(session: Session, rt: Runtime, agency: str, period: str) -> list[dict[str, Any]]:
    """The agency's current figures of ``period`` (its IKU and the agency row), as recomputed
    after each accepted submission; empty before the period was first computed."""
    from iku.operations.achievements import achievement_rows

    return [
        row
        for row in achievement_rows(
            session, period=period, agencies=frozenset({agency}), rules=rt.rules
        )
        if row["level"] in ("indicator", "agency")
    ]
