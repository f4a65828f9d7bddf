"""Rendering a period: one picklable job per bulletin, a process pool, the index, the manifest and
the ``bulletin`` rows.

Each bulletin is an HTML page (Jinja2) and a PDF/A-2b (Jinja2 -> Typst source -> the worker's
one reused Typst compiler, :mod:`iku.bulletins.typst`). A job carries the sha256 of its render
inputs (:func:`inputs_digest`: the context, the templates, the fonts, the engine); a bulletin
whose inputs are those of its current issue, with its files in place, is not rendered again
("unchanged"), so a rerun after one agency resubmits typesets that agency and the province.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import logging
import multiprocessing
import os
import pickle
import shutil
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, select

from iku import models as m
from iku.bulletins import revisions, worker
from iku.bulletins.html import copy_static
from iku.bulletins.readmodel import PeriodData, load_period
from iku.bulletins.revisions import Decision, Issued
from iku.bulletins.views import (
    NO_FIGURE,
    agency_context,
    meta_context,
    predikat_view,
    province_context,
)
from iku.db import now_wib, session_scope
from iku.formatting import (
    Absent,
)
from iku.locks import CycleFence
from iku.processes import worker_logs
from iku.rules import Rules, per_rules

log = logging.getLogger(__name__)


PROVINCE_FILE: Final = "provinsi"
AGENCY_DIR: Final = "opd"
INDEX_FILE: Final = "index.html"
MANIFEST_FILE: Final = "manifest.json"
REVIEW_PAGE: Final = Path("review") / "index.html"


@dataclass(frozen=True)
class RenderJob:
    """One bulletin to render: picklable, so a process pool can run it."""

    audience: str
    subject_key: str
    agency_id: int | None
    template: str
    context: Mapping[str, Any]
    html_path: Path
    pdf_path: Path | None
    #: How the written HTML file reaches the copied static/ folder (e.g. "../static/").
    static_url: str
    rules: Rules
    #: New, in place, or the next revision (:mod:`iku.bulletins.revisions`); None: the index.
    decision: Decision | None = None
    #: sha256 of everything the files are made from (:func:`inputs_digest`); None: the index.
    inputs_sha256: str | None = None
    #: sha256 of the read-model data the context was built from (:func:`source_digest`).
    source_sha256: str | None = None


@dataclass(frozen=True)
class RenderedFile:
    audience: str
    subject_key: str
    agency_id: int | None
    html_path: Path
    pdf_path: Path | None
    html_sha256: str
    pdf_sha256: str | None
    #: ``host:pid`` of the process that rendered it (a pool worker, a Dask worker).
    rendered_by: str = ""
    decision: Decision | None = None
    inputs_sha256: str | None = None
    source_sha256: str | None = None

    @property
    def sha256(self) -> str:
        """The bulletin's identity: the PDF's hash, or the HTML's for HTML-only pages."""
        return self.pdf_sha256 or self.html_sha256


@dataclass(frozen=True)
class RenderFailure:
    audience: str
    subject_key: str
    agency_id: int | None
    error: str


def _write(path: Path, payload: bytes) -> str:
    """Write a file whole (the index, the manifest): a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(payload)
    temporary.replace(path)  # readers never see half a file
    return hashlib.sha256(payload).hexdigest()


def run_job(job: RenderJob) -> RenderedFile | RenderFailure:
    """Render one bulletin to its files; any error becomes a :class:`RenderFailure`."""
    try:
        html_sha, pdf_sha = worker.render_files(
            job.template, job.context, job.html_path, job.pdf_path, job.static_url, job.rules
        )
    except Exception as exc:  # one bulletin failing must not stop the others
        log.exception("bulletin %s %s failed", job.audience, job.subject_key)
        worker.discard(job.html_path, job.pdf_path)  # never leave a stale bulletin behind
        return RenderFailure(job.audience, job.subject_key, job.agency_id, worker.describe(exc))
    return _rendered(job, html_sha, pdf_sha, worker.rendered_by())


def _rendered(job: RenderJob, html_sha: str, pdf_sha: str | None, rendered_by: str) -> RenderedFile:
    return RenderedFile(
        job.audience,
        job.subject_key,
        job.agency_id,
        job.html_path,
        job.pdf_path,
        html_sha,
        pdf_sha,
        rendered_by=rendered_by,
        decision=job.decision,
        inputs_sha256=job.inputs_sha256,
        source_sha256=job.source_sha256,
    )


#: A bulletin whose render inputs are those of its current issue: its files are not made again.
UNCHANGED: Final = "unchanged"
#: What turns a context into files besides the templates: a change to any of them renders
#: every bulletin again (the contexts themselves are hashed whole).
_RENDERING_CODE: Final = tuple(
    Path(__file__).resolve().parents[1] / name
    for name in (
        "bulletins/html.py",
        "bulletins/typst.py",
        "bulletins/typst_filters.py",
        "bulletins/worker.py",
        "formatting.py",
        "calendar.py",
    )
)


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """sha256 of the templates, stylesheet, fonts, the rendering code and the Typst version."""
    import typst

    from iku.bulletins.html import TEMPLATES_DIR

    version = getattr(typst, "__version__", "?")
    digest = hashlib.sha256(f"typst {version}".encode())
    files = sorted(p for p in TEMPLATES_DIR.rglob("*") if p.is_file()) + list(_RENDERING_CODE)
    root = TEMPLATES_DIR.parent
    for path in files:
        # Relative: the same installation in another folder makes the same bulletins.
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """A context value JSON cannot write, in a form that changes exactly when it does."""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Absent):
        return {"absent": value.label}
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"no digest form for {type(value).__name__}")


def inputs_digest(template: str, context: Mapping[str, Any], rules: Rules) -> str | None:
    """sha256 of a bulletin's render inputs: the template, its context, the rules file (labels,
    colours, limits) and :func:`engine_fingerprint`. None when the context holds a value
    without a digest form (the bulletin is then always rendered)."""
    try:
        payload = json.dumps(
            [template, context], default=_plain, ensure_ascii=False, allow_nan=True
        )
    except (TypeError, ValueError):
        log.warning("bulletin context of %s has no digest form; rendered every time", template)
        return None
    digest = hashlib.sha256(engine_fingerprint().encode())
    digest.update(_rules_digest(rules).encode())
    digest.update(payload.encode("utf-8"))
    return digest.hexdigest()


@per_rules
def _rules_digest(rules: Rules) -> str:
    return hashlib.sha256(rules.model_dump_json().encode("utf-8")).hexdigest()


#: The libraries between the read model and the files besides Typst (its version is in
#: :func:`engine_fingerprint`): an upgrade may print a figure differently.
_CONTEXT_LIBRARIES: Final = ("Jinja2", "MarkupSafe", "babel")


@lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """sha256 of what turns a period's read model into files: :func:`engine_fingerprint`, the
    whole ``iku`` package (the views, charts, labels and revision rules) and the versions of
    :data:`_CONTEXT_LIBRARIES`. Any change to them makes every :func:`source_digest` new, so
    every context is built once again (and compared by :func:`inputs_digest`)."""
    from importlib import metadata

    digest = hashlib.sha256(engine_fingerprint().encode())
    for name in _CONTEXT_LIBRARIES:
        digest.update(f"{name} {metadata.version(name)}".encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def source_digest(template: str, data: PeriodData) -> str | None:
    """sha256 of the read-model data a bulletin is built from (an agency's:
    :meth:`PeriodData.of_agency`), the rules file and :func:`source_fingerprint`: the same
    digest builds the same context, so a bulletin whose current issue was made from it is not
    even built again. None when some value cannot be digested (the context is then built)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    # No memo: the bytes depend on the values only, never on which objects happen to be shared.
    pickler.fast = True
    fields = [getattr(data, f.name) for f in dataclasses.fields(data) if f.name != "rules"]
    try:
        pickler.dump((template, fields))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
        log.warning("read model of %s has no digest form; its context is built", template)
        return None
    digest = hashlib.sha256(source_fingerprint().encode())
    digest.update(_rules_digest(data.rules).encode())
    digest.update(buffer.getbuffer())
    return digest.hexdigest()


@dataclass
class RenderResult:
    """What :func:`render_period` produced."""

    period: str
    cycle_id: int
    output_dir: Path
    bulletins: list[RenderedFile] = field(default_factory=list)
    failures: list[RenderFailure] = field(default_factory=list)
    index_path: Path | None = None
    manifest_path: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def reissued(self) -> list[RenderedFile]:
        """The bulletins issued again as a new revision by this run."""
        return [b for b in self.bulletins if b.decision and b.decision.action == "reissue"]

    @property
    def kept(self) -> list[RenderedFile]:
        """Delivered bulletins whose figures did not change: left as their readers got them."""
        return [b for b in self.bulletins if b.decision and b.decision.action == "keep"]

    @property
    def unchanged(self) -> list[RenderedFile]:
        """Bulletins whose render inputs did not change: their files were not made again."""
        return [b for b in self.bulletins if b.decision and b.decision.action == UNCHANGED]


def period_dir(period: str, output_dir: Path) -> Path:
    """Where a period's bulletins go: ``<output folder>/<period>/``."""
    return output_dir / period


def plan_jobs(
    data: PeriodData,
    out: Path,
    subjects: Collection[str] | None = None,
    issued: Mapping[tuple[str, str], Issued] | None = None,
) -> tuple[list[RenderJob], list[RenderFailure], list[RenderedFile]]:
    """The render jobs of a period; contexts that cannot be built are failures already.

    ``subjects`` limits the jobs to some bulletins ("province" and/or agency codes); ``issued``
    are their current issues (:func:`iku.bulletins.revisions.current_issues`), which decide
    whether each is new, rendered in place, kept or issued again as a revision. An agency
    bulletin whose current issue was made from the same read-model data (its
    :func:`source_digest`), with its files in place, is not built at all: it is returned as
    it stands (the third list), kept when delivered, :data:`UNCHANGED` otherwise.
    """
    jobs: list[RenderJob] = []
    failures: list[RenderFailure] = []
    same_source: list[RenderedFile] = []
    wanted = None if subjects is None else set(subjects)
    known = issued or {}
    planned: list[tuple[str, str, int | None, str, Path, str, Any, str | None]] = []
    if wanted is None or "province" in wanted:
        try:
            planned.append(
                (
                    "province",
                    "province",
                    None,
                    "province.html",
                    out / f"{PROVINCE_FILE}.html",
                    "static/",
                    province_context(data),
                    None,  # it shows every agency: its data is the whole period
                )
            )
        except Exception as exc:
            log.exception("province bulletin of %s: context failed", data.period)
            failures.append(RenderFailure("province", "province", None, worker.describe(exc)))
    for agency in data.agencies:
        if wanted is not None and agency.code not in wanted:
            continue
        html_path = out / AGENCY_DIR / f"{agency.code}.html"
        current = known.get(("agency", agency.code))
        try:
            own = data.of_agency(agency)
            source = source_digest("agency.html", own)
            if current is not None and _same_source(current, source, html_path):
                same_source.append(_as_issued("agency", agency.code, agency.id, current))
                continue
            context = agency_context(own, agency)
        except Exception as exc:
            log.exception("agency bulletin %s of %s: context failed", agency.code, data.period)
            failures.append(RenderFailure("agency", agency.code, agency.id, worker.describe(exc)))
            if current is None or not current.delivered:
                html_path.unlink(missing_ok=True)  # never a stale bulletin no one received
                html_path.with_suffix(".pdf").unlink(missing_ok=True)
            continue
        planned.append(
            (
                "agency",
                agency.code,
                agency.id,
                "agency.html",
                html_path,
                "../static/",
                context,
                source,
            )
        )
    for audience, subject, agency_id, template, html_path, static_url, context, source in planned:
        decision = revisions.decide(audience, context, known.get((audience, subject)))
        job_context = {**context, "revision": decision.banner()}
        jobs.append(
            RenderJob(
                audience,
                subject,
                agency_id,
                template,
                job_context,
                html_path,
                html_path.with_suffix(".pdf"),
                static_url,
                data.rules,
                decision,
                inputs_digest(template, job_context, data.rules),
                source,
            )
        )
    return jobs, failures, same_source


def _same_source(current: Issued, source: str | None, html_path: Path) -> bool:
    """The current issue was made from the data whose digest is ``source`` and its files are
    where this run would write them: building the bulletin again would give the same context,
    the same figures, hence the same decision (kept or unchanged) and the same files."""
    if source is None or current.source_sha256 != source:
        return False
    paths = (current.html_path, current.pdf_path)
    expected = (html_path, html_path.with_suffix(".pdf"))
    return paths == expected and all(p is not None and p.is_file() for p in paths)


def _as_issued(
    audience: str, subject_key: str, agency_id: int | None, current: Issued
) -> RenderedFile:
    """A bulletin left as its current issue stands, without building it (:func:`_same_source`):
    kept when it was delivered, :data:`UNCHANGED` otherwise, as :func:`revisions.decide` and
    :func:`is_unchanged` would have said of its same figures."""
    decision = Decision(
        "keep" if current.delivered else UNCHANGED,
        current.revision,
        None if current.figures is None else dict(current.figures),
        current.figures_sha256,
        current.changes,
        replaces_issued_at=current.previous_issued_at,
        current=current,
    )
    return _issued_file(audience, subject_key, agency_id, current, decision)


def _issued_file(
    audience: str,
    subject_key: str,
    agency_id: int | None,
    current: Issued,
    decision: Decision,
    *,
    html_fallback: Path | None = None,
) -> RenderedFile:
    """The current issue's files as they are, with their hashes as recorded when they were
    written (read from the files for an issue recorded without them): a rerun does not read
    22.000 unchanged bulletins back."""
    recorded = current.html_sha256 is not None and current.html_path is not None
    html = current.html_path or html_fallback
    assert html is not None
    pdf = current.pdf_path
    html_sha = current.html_sha256 if recorded else _sha256_of(html)
    pdf_sha = None if pdf is None else (current.sha256 if recorded else _sha256_of(pdf))
    return RenderedFile(
        audience,
        subject_key,
        agency_id,
        html,
        pdf,
        html_sha or "",
        pdf_sha,
        rendered_by="",
        decision=decision,
        inputs_sha256=current.inputs_sha256,
        source_sha256=current.source_sha256,
    )


def _sha256_of(path: Path | None) -> str | None:
    return None if path is None else hashlib.sha256(path.read_bytes()).hexdigest()


def kept_file(job: RenderJob) -> RenderedFile:
    """A bulletin left as its readers got it (same figures, already delivered)."""
    assert job.decision is not None and job.decision.current is not None
    return _issued_file(
        job.audience,
        job.subject_key,
        job.agency_id,
        job.decision.current,
        job.decision,
        html_fallback=job.html_path,
    )


def is_unchanged(job: RenderJob) -> bool:
    """The job would make the files its current issue already has: same render inputs (so the
    same bytes), same revision, files in place. Only a bulletin that would be rendered again
    in place can be unchanged (a new one has no files yet, a reissue has other figures)."""
    decision = job.decision
    if job.inputs_sha256 is None or decision is None or decision.current is None:
        return False
    current = decision.current
    if decision.action != "in_place" or current.inputs_sha256 != job.inputs_sha256:
        return False
    paths = (current.html_path, current.pdf_path)
    expected = (job.html_path, job.pdf_path)
    return paths == expected and all(p is not None and p.is_file() for p in paths)


def unchanged_file(job: RenderJob) -> RenderedFile:
    """A bulletin not rendered again: its current issue's files, as they are."""
    assert job.decision is not None
    rendered = kept_file(job)
    return dataclasses.replace(
        rendered,
        decision=dataclasses.replace(job.decision, action=UNCHANGED),
        inputs_sha256=job.inputs_sha256,
    )


def archive_current(job: RenderJob, out: Path) -> None:
    """Copy the current issue's files to ``arsip/revisi-N/`` before the next revision is
    written over them (the row points there once the new revision is recorded)."""
    decision = job.decision
    if decision is None or decision.action != "reissue" or decision.current is None:
        return
    for path in (decision.current.html_path, decision.current.pdf_path):
        if path is None or not path.is_file() or revisions.ARCHIVE_DIR in path.parts:
            continue
        target = revisions.archived_path(out, path, decision.current.revision)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


#: Why a job was not run: its cycle stopped (see :func:`run_jobs`).
STOPPED: Final = "not rendered: the cycle stopped (it no longer holds its period)"


def _stopped(job: RenderJob) -> RenderFailure:
    return RenderFailure(job.audience, job.subject_key, job.agency_id, STOPPED)


#: Fewer jobs than this render in this process (the default of the setting
#: ``IKU_RENDER_POOL_MIN_JOBS``): starting a worker (a fresh interpreter that
#: imports Jinja2, Typst and loads the fonts) costs about a second on the 2-core machine, more
#: than a few dozen bulletins take (about 15 ms each), e.g. a rerun after one resubmission.
POOL_MIN_JOBS: Final = 64
#: Chunks of jobs per worker: small enough that the workers end together (a chunk is about
#: half a second of work at M) and that a stopped cycle stops soon.
CHUNKS_PER_WORKER: Final = 16
#: At most this many jobs per chunk (about a second of work): with 22.000 bulletins, 16 chunks
#: per worker are 700 jobs each, and the last one left a core idle for up to 12 s.
MAX_CHUNK: Final = 64
#: A pool started ahead (:func:`prestart_pool`) that no :func:`run_jobs` claims within this
#: many seconds is shut down.
PRESTART_TTL_SECONDS: Final = 120.0


class _Pool:
    """A render pool: ``workers`` spawned processes (spawn, not fork: the parent may hold
    database connections and Prefect's threads) that end with this one, however it ends
    (:func:`iku.processes.die_with_parent`), log through its loggers and were started with
    ``rules`` (:func:`iku.bulletins.worker.start`). The processes start at once, so their
    start (imports, templates, fonts) overlaps what the parent does meanwhile."""

    def __init__(self, workers: int, rules: Rules) -> None:
        self.workers = workers
        self.rules = rules
        context = multiprocessing.get_context("spawn")
        self._stack = contextlib.ExitStack()
        log_queue = self._stack.enter_context(worker_logs(context))
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=worker.start,
            initargs=(os.getpid(), log_queue, rules),
        )
        self._stack.callback(self.executor.shutdown, wait=True, cancel_futures=True)
        for _ in range(workers):  # the executor starts a process per pending call
            self.executor.submit(int)

    def fits(self, workers: int, rules: Rules) -> bool:
        return self.workers == workers and (self.rules is rules or self.rules == rules)

    def close(self) -> None:
        self._stack.close()


def chunked(items: Sequence[Any], workers: int) -> list[Sequence[Any]]:
    """``items`` in order, cut into :data:`CHUNKS_PER_WORKER` chunks per worker of at most
    :data:`MAX_CHUNK` items each: what one call to a worker takes."""
    size = min(MAX_CHUNK, max(1, len(items) // (workers * CHUNKS_PER_WORKER)))
    return [items[i : i + size] for i in range(0, len(items), size)]


_prestarted: _Pool | None = None
_prestart_lock = threading.Lock()


def prestart_pool(workers: int, rules: Rules) -> None:
    """Start the render pool of the :func:`run_jobs` call that will follow (same ``workers``
    and ``rules``), so its workers start while the caller plans. Unclaimed, it is shut down
    after :data:`PRESTART_TTL_SECONDS`."""
    global _prestarted
    if workers <= 1:
        return
    with _prestart_lock:
        if _prestarted is not None:
            return
        pool = _prestarted = _Pool(workers, rules)
    timer = threading.Timer(PRESTART_TTL_SECONDS, _expire, args=(pool,))
    timer.daemon = True
    timer.start()


def _expire(pool: _Pool) -> None:
    global _prestarted
    with _prestart_lock:
        if _prestarted is not pool:
            return  # claimed
        _prestarted = None
    pool.close()


def _claim(workers: int, rules: Rules) -> _Pool:
    """The prestarted pool if it fits, or a new one."""
    global _prestarted
    with _prestart_lock:
        pool, _prestarted = _prestarted, None
    if pool is not None:
        if pool.fits(workers, rules):
            return pool
        pool.close()
    return _Pool(workers, rules)


def run_jobs(
    jobs: Sequence[RenderJob],
    workers: int = 1,
    *,
    keep_going: Callable[[], bool] | None = None,
    min_pool_jobs: int = POOL_MIN_JOBS,
) -> list[RenderedFile | RenderFailure]:
    """Run render jobs in this process, or (``min_pool_jobs`` or more of them) in a pool of
    ``workers`` processes that end with this one (however it ends:
    :func:`iku.processes.die_with_parent`), each with its one Typst compiler (the pool
    :func:`prestart_pool` started, when it fits). The workers get the rules once and each
    bulletin as a light :class:`iku.bulletins.worker.Work`. ``keep_going`` is asked between
    chunks of jobs; once it says no, the jobs not yet started are returned as failures
    (:data:`STOPPED`): a cycle that lost its period stops writing bulletins."""
    if workers <= 1 or len(jobs) <= 1 or len(jobs) < min_pool_jobs:
        done: list[RenderedFile | RenderFailure] = []
        for job in jobs:
            stop = keep_going is not None and not keep_going()
            done.append(_stopped(job) if stop else run_job(job))
        return done
    rules = jobs[0].rules
    works = [
        worker.Work(
            index,
            f"{job.audience} {job.subject_key}",
            job.template,
            job.context,
            job.html_path,
            job.pdf_path,
            job.static_url,
            None if job.rules is rules or job.rules == rules else job.rules,
        )
        for index, job in enumerate(jobs)
    ]
    chunks = chunked(works, workers)
    results: list[RenderedFile | RenderFailure] = []
    pool = _claim(workers, rules)
    try:
        futures = [pool.executor.submit(worker.render_chunk, chunk) for chunk in chunks]
        stopped = False
        for future, chunk in zip(futures, chunks, strict=True):
            if stopped and future.cancel():
                results.extend(_stopped(jobs[work.index]) for work in chunk)
                continue
            for index, html_sha, pdf_sha, rendered_by, error in future.result():
                job = jobs[index]
                if error is not None or html_sha is None:
                    reason = error or "no files"
                    results.append(
                        RenderFailure(job.audience, job.subject_key, job.agency_id, reason)
                    )
                else:
                    results.append(_rendered(job, html_sha, pdf_sha, rendered_by))
            stopped = stopped or (keep_going is not None and not keep_going())
    finally:
        pool.close()
    return results


def _index_context(
    data: PeriodData,
    out: Path,
    rendered: Sequence[RenderedFile],
    failures: Sequence[RenderFailure],
) -> dict[str, Any]:
    by_subject = {(r.audience, r.subject_key): r for r in rendered}
    province = by_subject.get(("province", "province"))
    agencies = []
    for agency in data.agencies:
        bulletin = by_subject.get(("agency", agency.code))
        if bulletin is None or bulletin.pdf_path is None:
            continue
        row = data.results[f"agency:{agency.code}"]
        capaian: float | Absent = (
            Absent(NO_FIGURE) if row.capaian_scored is None else row.capaian_scored
        )
        agencies.append(
            {
                "code": agency.code,
                "name": agency.name,
                "capaian": capaian,
                "predikat": predikat_view(data.rules, row.predikat, capaian, agency.code),
                "html": _relative(bulletin.html_path, out),
                "pdf": _relative(bulletin.pdf_path, out),
                "revision": bulletin.decision.revision if bulletin.decision else 1,
            }
        )
    review = out / REVIEW_PAGE
    return {
        "meta": meta_context(data),
        "province": (
            {
                "html": _relative(province.html_path, out),
                "pdf": _relative(province.pdf_path, out),
                "revision": province.decision.revision if province.decision else 1,
            }
            if province is not None and province.pdf_path is not None
            else None
        ),
        "province_failed": any(f.audience == "province" for f in failures),
        "review_link": REVIEW_PAGE.as_posix() if review.is_file() else None,
        "agencies": agencies,
        "failures": [{"subject_key": f.subject_key, "error": f.error} for f in failures],
    }


def _relative(path: Path, out: Path) -> str:
    """``path``, inside ``out``, relative to it with ``/`` (what ``relative_to`` gives, without
    its cost: an index and a manifest of 22.000 bulletins need 66.000)."""
    text, root = str(path), str(out) + os.sep
    if text.startswith(root):
        return text[len(root) :].replace(os.sep, "/")
    return path.relative_to(out).as_posix()


def _manifest_text(manifest: Mapping[str, Any]) -> str:
    """The manifest as indented JSON, one line per file (``json`` indents in Python: seconds
    for the 44.000 files of a national period)."""
    parts = []
    for key, value in manifest.items():
        if key == "files" and value:
            lines = ",\n".join(f"    {json.dumps(v, ensure_ascii=False)}" for v in value)
            text = f"[\n{lines}\n  ]"
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _manifest(
    data: PeriodData,
    out: Path,
    rendered: Sequence[RenderedFile],
    failures: Sequence[RenderFailure],
) -> dict[str, Any]:
    files = []
    for bulletin in sorted(rendered, key=lambda r: (r.audience, r.subject_key)):
        entries = [(bulletin.html_path, bulletin.html_sha256)]
        if bulletin.pdf_path is not None and bulletin.pdf_sha256 is not None:
            entries.append((bulletin.pdf_path, bulletin.pdf_sha256))
        for path, sha in entries:
            files.append(
                {
                    "file": _relative(path, out),
                    "audience": bulletin.audience,
                    "subject": bulletin.subject_key,
                    "sha256": sha,
                    "bytes": path.stat().st_size,
                    "rendered_by": bulletin.rendered_by,
                    "revision": bulletin.decision.revision if bulletin.decision else 1,
                    "state": bulletin.decision.action if bulletin.decision else "new",
                }
            )
    return {
        "period": data.period,
        "cycle_id": data.cycle_id,
        "generated_at": data.generated_at.isoformat(),
        "rules_version": data.rules_version,
        "files": files,
        "failures": [asdict(f) for f in failures],
    }


def _archived(out: Path, current: Issued, path: Path | None) -> str | None:
    if path is None:
        return None
    if revisions.ARCHIVE_DIR in path.parts:
        return str(path)
    return str(revisions.archived_path(out, path, current.revision))


#: Up to this many bulletins to record, their rows are read by subject (fewer than SQLite's
#: limit of bound parameters); more, and every row of the cycle is read.
_FEW_ROWS: Final = 500


def record_bulletins(
    engine: Engine,
    cycle_id: int,
    rendered: Iterable[RenderedFile],
    failures: Iterable[RenderFailure],
    *,
    out: Path | None = None,
    decisions: Mapping[tuple[str, str], Decision] | None = None,
    fence: CycleFence | None = None,
) -> None:
    """Record the ``bulletin`` rows: a new issue, an issue rendered again in place, or the next
    revision (the earlier one marked superseded, its files in ``arsip/``). A failed bulletin
    loses its files, unless its readers already have it (then the current issue stays).
    Within a cycle run (``fence``), only while the run holds its period."""
    planned = decisions or {}
    written = [
        item
        for item in rendered
        if item.decision is None or item.decision.action not in ("keep", UNCHANGED)
    ]
    failures = list(failures)
    with session_scope(engine) as session:
        if fence is not None:
            fence.verify(session)
        query = select(m.Bulletin).where(m.Bulletin.cycle_id == cycle_id)
        subjects = {i.subject_key for i in written} | {f.subject_key for f in failures}
        if len(subjects) <= _FEW_ROWS:  # a rerun: the rows it writes, not all 22.000
            query = query.where(m.Bulletin.subject_key.in_(sorted(subjects)))
        rows = {(b.audience, b.subject_key, b.revision): b for b in session.scalars(query)}
        current = {(a, s): b for (a, s, _), b in rows.items() if b.superseded_at is None}
        now = now_wib()
        for item in written:
            decision = item.decision
            revision = 1 if decision is None else decision.revision
            if decision is not None and decision.action == "reissue":
                earlier = current.get((item.audience, item.subject_key))
                if earlier is not None and decision.current is not None and out is not None:
                    earlier.superseded_at = now
                    earlier.html_path = _archived(out, decision.current, decision.current.html_path)
                    earlier.pdf_path = _archived(out, decision.current, decision.current.pdf_path)
            row = rows.get((item.audience, item.subject_key, revision))
            if row is None:
                row = m.Bulletin(
                    cycle_id=cycle_id,
                    audience=item.audience,
                    subject_key=item.subject_key,
                    revision=revision,
                )
                session.add(row)
            row.agency_id = item.agency_id
            row.html_path = str(item.html_path)
            row.pdf_path = None if item.pdf_path is None else str(item.pdf_path)
            row.sha256 = item.sha256
            row.inputs_sha256 = item.inputs_sha256
            row.source_sha256 = item.source_sha256
            row.html_sha256 = item.html_sha256
            row.created_at = now
            row.superseded_at = None
            if decision is not None:
                row.figures = decision.figures
                row.figures_sha256 = decision.figures_sha256
                row.changes = list(decision.changes)
        for failure in failures:
            row = current.get((failure.audience, failure.subject_key))
            if row is None:
                continue
            decision = planned.get((failure.audience, failure.subject_key))
            if decision is not None and decision.action == "reissue" and out is not None:
                # The next revision failed: the delivered one stays current, from its copy.
                assert decision.current is not None
                row.html_path = _archived(out, decision.current, decision.current.html_path)
                row.pdf_path = _archived(out, decision.current, decision.current.pdf_path)
            elif decision is None or not (decision.current and decision.current.delivered):
                row.html_path = row.pdf_path = row.sha256 = row.html_sha256 = None
                row.source_sha256 = None


@dataclass
class RenderPlan:
    """A period's bulletins, prepared: the data, the output folder and one job per bulletin.

    The jobs are independent and picklable, so a caller can run them anywhere (this process,
    a process pool, a Prefect task runner) before :func:`finish_render` writes the index,
    the manifest and the bulletin rows.
    """

    data: PeriodData
    out: Path
    jobs: list[RenderJob]
    failures: list[RenderFailure]
    #: Delivered bulletins whose figures did not change, and bulletins whose render inputs
    #: did not change (:data:`UNCHANGED`): not rendered again.
    kept: list[RenderedFile] = field(default_factory=list)

    @property
    def decisions(self) -> dict[tuple[str, str], Decision]:
        return {
            (job.audience, job.subject_key): job.decision
            for job in self.jobs
            if job.decision is not None
        } | {(k.audience, k.subject_key): k.decision for k in self.kept if k.decision}


def plan_render(
    period: str,
    engine: Engine,
    *,
    output_dir: Path,
    generated_at: datetime | None = None,
    rules: Rules,
    subjects: Collection[str] | None = None,
    frozen: bool = False,
    prestart_workers: int = 1,
    min_pool_jobs: int = POOL_MIN_JOBS,
) -> RenderPlan:
    """Load the period and plan one job per bulletin (``subjects``: only some of them;
    ``frozen``: read the running cycle's snapshot). With ``prestart_workers`` > 1, when at
    least ``min_pool_jobs`` bulletins have no issue yet (the cycle's first render), the render
    pool is started before the contexts are built (:func:`prestart_pool`): its workers start
    while this process plans."""
    data = load_period(engine, period, rules=rules, generated_at=generated_at, frozen=frozen)
    with session_scope(engine) as session:
        issued = revisions.current_issues(session, data.cycle_id)
    if prestart_workers > 1:
        wanted = 1 + len(data.agencies) if subjects is None else len(set(subjects))
        if wanted - len(issued) >= min_pool_jobs:
            prestart_pool(prestart_workers, data.rules)
    out = period_dir(period, output_dir)
    out.mkdir(parents=True, exist_ok=True)
    copy_static(out)
    planned, failures, kept = plan_jobs(data, out, subjects, issued)
    jobs = []
    for job in planned:
        if job.decision is not None and job.decision.action == "keep":
            kept.append(kept_file(job))
        elif is_unchanged(job):
            kept.append(unchanged_file(job))
        else:
            archive_current(job, out)
            jobs.append(job)
    return RenderPlan(data, out, jobs, list(failures), kept)


def finish_render(
    plan: RenderPlan,
    outcomes: Sequence[RenderedFile | RenderFailure],
    engine: Engine,
    fence: CycleFence | None = None,
) -> RenderResult:
    """Write the index and the manifest of what was rendered and record the bulletin rows
    (within a cycle run, ``fence``: only while the run holds its period)."""
    if fence is not None and not fence.holds(engine):
        with session_scope(engine) as session:
            fence.verify(session)  # raises, before the index and manifest are replaced
    data, out = plan.data, plan.out
    failures = list(plan.failures)
    rendered: list[RenderedFile] = list(plan.kept)
    for outcome in outcomes:
        if isinstance(outcome, RenderFailure):
            failures.append(outcome)
        else:
            rendered.append(outcome)

    index_job = RenderJob(
        "index",
        "index",
        None,
        "index.html",
        _index_context(data, out, rendered, failures),
        out / INDEX_FILE,
        None,
        "static/",
        data.rules,
    )
    index = run_job(index_job)
    if isinstance(index, RenderFailure):
        failures.append(index)
    else:
        rendered.append(index)

    manifest_path = out / MANIFEST_FILE
    manifest = _manifest(data, out, rendered, failures)
    _write(manifest_path, _manifest_text(manifest).encode())
    record_bulletins(
        engine,
        data.cycle_id,
        rendered,
        failures,
        out=out,
        decisions=plan.decisions,
        fence=fence,
    )
    if failures:
        log.warning(
            "%s: %d bulletin(s) failed: %s",
            data.period,
            len(failures),
            ", ".join(f.subject_key for f in failures),
        )
    return RenderResult(
        period=data.period,
        cycle_id=data.cycle_id,
        output_dir=out,
        bulletins=rendered,
        failures=failures,
        index_path=None if isinstance(index, RenderFailure) else index.html_path,
        manifest_path=manifest_path,
    )


def render_period(
    period: str,
    engine: Engine,
    *,
    output_dir: Path,
    workers: int = 1,
    generated_at: datetime | None = None,
    rules: Rules,
    subjects: Collection[str] | None = None,
) -> RenderResult:
    """Render every bulletin of a period, write the index and manifest, record the rows.

    ``subjects`` renders only some bulletins ("province", agency codes); the index and the
    manifest then list what this run rendered.
    """
    plan = plan_render(
        period,
        engine,
        output_dir=output_dir,
        generated_at=generated_at,
        rules=rules,
        subjects=subjects,
        prestart_workers=workers,
    )
    return finish_render(plan, run_jobs(plan.jobs, workers), engine)
