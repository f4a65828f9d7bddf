"""One measured run of a stage or of its floor, in a fresh interpreter (``python -m
benchmarks.stages SPEC.json``; the harness in :mod:`benchmarks.__main__` writes the spec).

The child points the application's settings (``IKU_*``) at its own copy of the prepared
SQLite database and its own folders, imports what the stage needs, then measures only the
stage call:

- ``wall_s``: ``time.perf_counter`` around the call (imports and interpreter start excluded;
  the harness reports the whole process time apart as ``process_s``);
- ``peak_rss_mib``: the peak resident memory of the process tree (this process plus every
  worker process it starts), sampled every 20 ms with psutil; ``self_maxrss_mib`` and
  ``children_maxrss_mib`` are ``getrusage`` maxima (RUSAGE_SELF, RUSAGE_CHILDREN: the largest
  reaped child), a cross-check of the sample;
- ``units``: what the stage processed (files for ingest, render and deliver; staged rows for
  validation; IKU for compute), so the harness can report a rate.

**Stages** call the application's own functions, composed as the monthly flow composes them:
ingest ``tasks.ingest.ingest_inbox_task.fn`` (``iku.operations.ingest.ingest`` over the inbox);
validate the flow's validation step (``iku.operations.validate``: groups as the flow plans
them, one on threads; each group validated on a thread pool, merged, the review page); compute
``iku.operations.compute.compute``; render ``iku.operations.render.render`` with
``IKU_WORKERS`` processes (every bulletin, index, manifest, bulletin rows); deliver
``iku.operations.deliver.deliver`` (no SMTP host: .eml files); rerender: one agency resubmits
(a later receipt and another note on one value; prepared outside the timing), then
``iku.operations.render.render`` again: only what changed is typeset; cycle
``flows.monthly_evaluation.evaluate`` (the Prefect flow on a local API server, started before
the timing as a deployment's server is up before its runs; its start-up is reported apart as
``prefect_server_start_s``).

**References** are measured beside some stages to show what an earlier design cost on the same
input: ``render``'s reference is WeasyPrint, the PDF engine before Typst, on the real agency
bulletins (HTML from the same templates) for a sample of agencies in one process, when the
optional ``bench`` extra is installed (:mod:`benchmarks.weasyprint_reference`).

**Floors** are the least work each stage needs, written plainly here:

- ingest: read every submitted file with pandas (``read_excel``, ``read_csv``, ``json`` +
  ``DataFrame``), nothing else;
- validate: read the month's staged rows into pandas from the database, then one bulk insert
  (SQLAlchemy Core ``executemany``) of that many realisation rows, one transaction;
- compute: read the month's accepted realisations and the year's annual targets into pandas,
  the vectorised capaian (``iku.capaian.evaluate_frame``), one bulk insert of one achievement
  row per IKU;
- render: one trivial Typst document per bulletin the stage rendered (a heading and a table of
  the agency's IKU, as PDF/A-2b with the vendored fonts, by one reused compiler per worker, and
  a trivial HTML file), on the same number of worker processes (spawn) as the stage;
- deliver: one .eml file per delivery the stage made, with the bulletin PDF attached, written
  with the standard library ``email`` package.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Spec = dict[str, Any]
Outcome = tuple[int, str, dict[str, Any]]  # units, unit name, details
Runner = Callable[[], Outcome]


def _configure(spec: Spec) -> None:
    """Point the application's settings and Prefect at this run's own state."""
    os.environ.update(
        {
            "IKU_DATABASE_URL": f"sqlite:///{spec['db']}",
            "IKU_INBOX_DIR": spec["inbox"],
            "IKU_ARCHIVE_DIR": spec["archive"],
            "IKU_OUTPUT_DIR": spec["out"],
            "IKU_CATALOG_DIR": spec["catalog_dir"],
            "IKU_RULES_FILE": spec["rules_file"],
            "IKU_WORKERS": str(spec["workers"]),
            "IKU_TASK_RUNNER": "thread",
            "IKU_SMTP_HOST": "",
            "PREFECT_HOME": spec["prefect_home"],
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
    )
    for name in ("archive", "out"):
        Path(spec[name]).mkdir(parents=True, exist_ok=True)


# --- the stages ------------------------------------------------------------------------------


def stage_ingest(spec: Spec) -> Runner:
    from tasks.ingest import ingest_inbox_task

    def run() -> Outcome:
        summary = ingest_inbox_task.fn()
        details = {
            "files": summary["files_seen"],
            "rows_staged": summary["rows_staged"],
            "rejected": len(summary["rejected"]),
        }
        return summary["files_seen"], "files", details

    return run


def stage_validate(spec: Spec) -> Runner:
    from concurrent.futures import ThreadPoolExecutor

    # Validation imports Great Expectations on first use; imports are outside every measured
    # call (about 2 s here, once per process; the README says so).
    import great_expectations  # noqa: F401

    from flows.runners import validation_groups
    from iku.operations import validate as ops
    from iku.runtime import process_runtime

    period, workers = spec["period"], spec["workers"]
    rt = process_runtime()

    def one(group: list[str]) -> dict[str, Any]:
        return ops.summary(ops.validate(rt, period, group))

    def run() -> Outcome:
        groups = ops.agency_groups(rt, period, validation_groups(rt.settings))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(one, groups))
        merged = ops.merge_summaries(parts, period)
        ops.review_page(rt, period)
        keys = ("rows_in", "accepted", "quarantined", "warnings", "issues_opened")
        details = {k: merged[k] for k in keys} | {"groups": len(groups)}
        return int(merged["rows_in"]), "rows", details

    return run


def stage_compute(spec: Spec) -> Runner:
    from iku.operations.compute import compute
    from iku.runtime import process_runtime

    def run() -> Outcome:
        summary = compute(process_runtime(), spec["period"]).as_dict()
        details = {"rows": summary["rows"], "with_capaian": summary["with_capaian"]}
        return int(summary["indicators"]), "IKU", details

    return run


def stage_render(spec: Spec) -> Runner:
    from iku.operations.render import render
    from iku.runtime import process_runtime

    def run() -> Outcome:
        result = render(process_runtime(), spec["period"], workers=spec["workers"])
        pdfs = sum(1 for b in result.bulletins if b.pdf_path is not None)
        details = {
            "bulletins": len(result.bulletins),
            "pdfs": pdfs,
            "failures": len(result.failures),
            "workers": spec["workers"],
        }
        return pdfs, "PDFs", details

    return run


def _resubmit_one(spec: Spec) -> str:
    """One agency resubmits: its latest submission of the period is received again now, with
    another note on one value. Returns the agency's code."""
    from datetime import datetime

    from sqlalchemy import text

    from iku.settings import TIMEZONE

    engine = _engine(spec)
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "SELECT s.id, a.code, r.id FROM submission s JOIN agency a ON a.id = s.agency_id "
                "JOIN realisation r ON r.submission_id = s.id WHERE s.period = :p "
                "AND s.status NOT IN ('rejected', 'superseded') ORDER BY a.code, s.id LIMIT 1"
            ),
            {"p": spec["period"]},
        ).one()
        submission_id, code, realisation_id = row
        conn.execute(
            text("UPDATE submission SET received_at = :t WHERE id = :id"),
            {"t": datetime.now(TIMEZONE).isoformat(), "id": submission_id},
        )
        conn.execute(
            text("UPDATE realisation SET note = :n WHERE id = :id"),
            {"n": "Koreksi: angka diperbarui setelah verifikasi lapangan.", "id": realisation_id},
        )
    engine.dispose()
    return str(code)


def stage_rerender(spec: Spec) -> Runner:
    from iku.operations.render import render
    from iku.runtime import process_runtime

    agency = _resubmit_one(spec)

    def run() -> Outcome:
        result = render(process_runtime(), spec["period"], workers=spec["workers"])
        rendered = [
            b.subject_key for b in result.bulletins if b.rendered_by and b.audience != "index"
        ]
        details = {
            "resubmitted": agency,
            "rendered": sorted(rendered),
            "unchanged": len(result.unchanged),
            "failures": len(result.failures),
        }
        return len(rendered), "PDFs rendered again", details

    return run


def stage_deliver(spec: Spec) -> Runner:
    from iku.operations.deliver import deliver
    from iku.runtime import process_runtime

    def run() -> Outcome:
        report = deliver(process_runtime(), spec["period"])
        details = {"sent": report.sent, "skipped": report.skipped, "failed": report.failed}
        return report.sent, "e-mails", details

    return run


def stage_cycle(spec: Spec) -> Runner:
    # Prefect's start-up defaults, as `iku run` applies them (the ephemeral server's 240 s
    # start-up timeout: Prefect's 20 s failed on the loaded shared machine).
    from flows.environment import apply_prefect_defaults

    apply_prefect_defaults(Path(spec["prefect_home"]).parent)
    from flows.monthly_evaluation import evaluate
    from iku.runtime import process_runtime

    server_start = _start_prefect_server()

    def run() -> Outcome:
        result = evaluate(process_runtime(), spec["period"])
        counts = result["counts"]
        details = {
            "prefect_server_start_s": server_start,
            "status": result["status"],
            "timings": {k: round(v, 2) for k, v in result["timings"].items()},
            "rows_in": counts.get("rows_in"),
            "achievements": counts.get("achievements"),
        }
        files = int(counts.get("steps", {}).get("ingest", {}).get("files_seen") or 0)
        return files, "files", details

    return run


def _start_prefect_server() -> float:
    """Start Prefect's local API server (the one the flow would start on its first API call)
    before the timing, as a deployment's long-lived server is up before a run; return its
    start-up seconds, which the report shows apart. The flow's client finds it running (one
    server per process)."""
    from prefect.server.api.server import SubprocessASGIServer

    started = time.perf_counter()
    SubprocessASGIServer().start()
    return round(time.perf_counter() - started, 3)


# --- the floors ------------------------------------------------------------------------------


def floor_ingest(spec: Spec) -> Runner:
    import pandas as pd

    files = sorted(
        p
        for p in Path(spec["inbox"]).rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.parts)
    )

    def read(path: Path) -> pd.DataFrame:
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            return pd.read_excel(path, header=None)
        if suffix == ".json":
            document = json.loads(path.read_bytes())
            return pd.DataFrame(document.get("rows", []) if isinstance(document, dict) else [])
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        sep = ";" if text.split("\n", 1)[0].count(";") else ","
        return pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str)

    def run() -> Outcome:
        rows = 0
        for path in files:
            # A planted unreadable file fails to read, as it should.
            with contextlib.suppress(Exception):
                rows += len(read(path))
        return len(files), "files", {"rows_read": rows}

    return run


def _engine(spec: Spec) -> Any:
    from sqlalchemy import create_engine

    return create_engine(f"sqlite:///{spec['db']}")


def floor_validate(spec: Spec) -> Runner:
    from datetime import datetime

    import pandas as pd
    from sqlalchemy import insert, text

    from iku import models as m
    from iku.db import table_of

    engine = _engine(spec)
    query = """
        SELECT s.submission_id, i.id AS indicator_id, s.period, s.value, s.state,
               s.state_reason, s.evidence_url, s.note, s.source_row
        FROM staged_row s JOIN indicator i ON i.code = s.indicator_code
        WHERE s.period = :period
    """

    def run() -> Outcome:
        with engine.begin() as conn:
            frame = pd.read_sql_query(text(query), conn, params={"period": spec["period"]})
            frame = frame.drop_duplicates(["submission_id", "indicator_id"])
            frame["state"] = frame["state"].fillna("tidak_dilaporkan")
            frame.loc[frame["state"] != "angka", "value"] = None
            frame.loc[(frame["state"] == "angka") & frame["value"].isna(), "state"] = (
                "tidak_dilaporkan"
            )
            frame["value"] = frame["value"].astype(object).where(frame["value"].notna(), None)
            frame["flags"] = [[] for _ in range(len(frame))]
            frame["created_at"] = datetime.now().astimezone()
            records = frame.to_dict("records")
            conn.execute(insert(table_of(m.Realisation)), records)
        return len(frame), "rows", {"inserted": len(records)}

    return run


def floor_compute(spec: Spec) -> Runner:
    import numpy as np
    import pandas as pd
    from sqlalchemy import insert, text

    from iku import models as m
    from iku.capaian import evaluate_frame
    from iku.db import table_of
    from iku.rules import load_rules

    rules = load_rules(Path(spec["rules_file"]))
    engine = _engine(spec)
    period = spec["period"]
    realisations = """
        SELECT r.indicator_id, i.code, i.agency_id, i.polarity, i.negative_formula,
               r.value AS realisasi
        FROM realisation r
        JOIN submission s ON s.id = r.submission_id
        JOIN indicator i ON i.id = r.indicator_id
        WHERE r.period = :period AND s.status NOT IN ('rejected', 'superseded')
    """
    targets = """
        SELECT indicator_id, lower, upper, comparator, MAX(version) AS version
        FROM target WHERE year = :year AND period_key = 'annual' GROUP BY indicator_id
    """

    def run() -> Outcome:
        with engine.begin() as conn:
            real = pd.read_sql_query(text(realisations), conn, params={"period": period})
            tgt = pd.read_sql_query(text(targets), conn, params={"year": int(period[:4])})
            frame = real.merge(tgt, on="indicator_id", how="inner")
            frame["negative_formula"] = frame["negative_formula"].fillna("")
            scored = evaluate_frame(frame, rules)
            cycle_id = conn.scalar(
                text("SELECT id FROM evaluation_cycle WHERE period = :p"), {"p": period}
            )
            if cycle_id is None:
                cycle_id = conn.execute(
                    insert(m.EvaluationCycle).values(
                        period=period, status="pending", counts={}, timings={}
                    )
                ).inserted_primary_key[0]
            out = pd.DataFrame(
                {
                    "cycle_id": cycle_id,
                    "period": period,
                    "level": "indicator",
                    "subject_key": "indicator:" + frame["code"],
                    "indicator_id": frame["indicator_id"],
                    "agency_id": frame["agency_id"],
                    "realisasi": frame["realisasi"],
                    "capaian_raw": scored["capaian_raw"],
                    "capaian_scored": scored["capaian_scored"],
                    "predikat": scored["predikat"],
                }
            )
            out = out.astype(object).where(out.notna(), None)
            out["is_at_risk"] = False
            out["flags"] = [[] for _ in range(len(out))]
            conn.execute(insert(table_of(m.Achievement)), out.to_dict("records"))
        capaian = int(np.count_nonzero(scored["capaian_raw"].notna()))
        return len(out), "IKU", {"with_capaian": capaian}

    return run


def _floor_render_one(job: tuple[str, str, str, list[tuple[str, str]]]) -> int:
    """One trivial bulletin: a heading and a table, as HTML and as a Typst PDF/A-2b with the
    vendored fonts (a worker's job; the compiler is the engine's, one per process)."""
    from datetime import datetime
    from html import escape

    from iku.bulletins.typst import compile_pdf
    from iku.bulletins.typst_filters import typst_string
    from iku.settings import TIMEZONE

    html_path, pdf_path, title, rows = job
    cells = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in rows)
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif} td{border:1px solid #999;padding:2px}</style>"
        f"</head><body><h1>{escape(title)}</h1><table>{cells}</table></body></html>"
    )
    Path(html_path).write_text(html, encoding="utf-8")
    table = ", ".join(f"{typst_string(a)}, {typst_string(b)}" for a, b in rows)
    source = (
        f'#set document(title: {typst_string(title)}, author: "Floor")\n'
        '#set page(paper: "a4")\n#set text(font: "DejaVu Sans", lang: "id")\n'
        f"= #{typst_string(title)}\n#table(columns: 2, {table})\n"
    )
    moment = datetime(2026, 11, 10, 9, 30, tzinfo=TIMEZONE)
    Path(pdf_path).write_bytes(compile_pdf(source, created_at=moment))
    return 1


def floor_render(spec: Spec) -> Runner:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from sqlalchemy import text

    engine = _engine(spec)
    out = Path(spec["out"]) / "floor-render"
    out.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        agencies = conn.execute(
            text(
                "SELECT DISTINCT a.code, a.name FROM agency a "
                "JOIN indicator i ON i.agency_id = a.id"
            )
        ).all()
        indicators: dict[str, list[tuple[str, str]]] = {}
        for agency, code, name in conn.execute(
            text(
                "SELECT a.code, i.code, i.name FROM indicator i JOIN agency a ON a.id = i.agency_id"
            )
        ):
            indicators.setdefault(agency, []).append((code, name))
    jobs = [(str(out / "province.html"), str(out / "province.pdf"), "Provinsi", [("-", "-")])]
    jobs += [
        (str(out / f"{code}.html"), str(out / f"{code}.pdf"), name, indicators.get(code, []))
        for code, name in agencies
    ]
    workers = int(spec["workers"])

    def run() -> Outcome:
        if workers <= 1:
            done = sum(_floor_render_one(job) for job in jobs)
        else:
            context = multiprocessing.get_context("spawn")
            chunk = max(1, len(jobs) // (workers * 8))  # as iku.bulletins.jobs.run_jobs
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                done = sum(pool.map(_floor_render_one, jobs, chunksize=chunk))
        return done, "PDFs", {"workers": workers}

    return run


#: Agency bulletins the WeasyPrint reference renders (a sample: all of M would take minutes).
REFERENCE_SAMPLE = 20


def reference_render(spec: Spec) -> Runner:
    """WeasyPrint, the engine before Typst, on the real agency bulletins of a sample of
    agencies, one process; units are bulletins, so the per-bulletin cost compares with the
    stage's. Skipped (no units) without the ``bench`` extra."""
    from benchmarks import weasyprint_reference

    skipped = weasyprint_reference.unavailable()
    if skipped is not None:
        return lambda: (0, "PDFs", {"skipped": skipped})
    from iku.bulletins.html import make_environment, render_html
    from iku.bulletins.readmodel import load_period
    from iku.bulletins.views import agency_context
    from iku.runtime import process_runtime

    rt = process_runtime()
    data = load_period(rt.engine, spec["period"], rules=rt.rules)
    env = make_environment(rt.rules)
    contexts = [agency_context(data, a) for a in data.agencies[:REFERENCE_SAMPLE]]
    warm = render_html(env, "agency.html", {**contexts[0], "static_url": ""})
    weasyprint_reference.html_to_pdf(warm)  # stylesheet, fonts: once per process

    def run() -> Outcome:
        for context in contexts:
            html = render_html(env, "agency.html", {**context, "static_url": ""})
            weasyprint_reference.html_to_pdf(html)
        return len(contexts), "PDFs", {"engine": "weasyprint", "sample": len(contexts)}

    return run


def floor_deliver(spec: Spec) -> Runner:
    import csv
    from email.message import EmailMessage

    from sqlalchemy import text

    engine = _engine(spec)
    with open(Path(spec["catalog_dir"]) / "recipients.csv", encoding="utf-8", newline="") as f:
        recipients = list(csv.DictReader(f))
    with engine.connect() as conn:
        bulletins = conn.execute(
            text(
                "SELECT b.audience, b.subject_key, b.pdf_path FROM bulletin b "
                "JOIN evaluation_cycle c ON c.id = b.cycle_id "
                "WHERE c.period = :period AND b.pdf_path IS NOT NULL"
            ),
            {"period": spec["period"]},
        ).all()
    sends: list[tuple[str, str, str]] = []
    for audience, subject, pdf in bulletins:
        for r in recipients:
            if r["audience"] == audience and (audience != "agency" or r["agency_code"] == subject):
                sends.append((r["email"], subject, pdf))
    outbox = Path(spec["out"]) / "floor-outbox"
    outbox.mkdir(parents=True, exist_ok=True)

    def run() -> Outcome:
        for n, (email, subject, pdf) in enumerate(sends):
            message = EmailMessage()
            message["From"] = "iku@bench.example"
            message["To"] = email
            message["Subject"] = f"Buletin {subject} {spec['period']}"
            message.set_content("Terlampir buletin evaluasi IKU.")
            message.add_attachment(
                Path(pdf).read_bytes(), maintype="application", subtype="pdf", filename="b.pdf"
            )
            (outbox / f"{n:06d}.eml").write_bytes(message.as_bytes())
        return len(sends), "e-mails", {}

    return run


RUNS: dict[tuple[str, str], Callable[[Spec], Runner]] = {
    ("ingest", "stage"): stage_ingest,
    ("validate", "stage"): stage_validate,
    ("compute", "stage"): stage_compute,
    ("render", "stage"): stage_render,
    ("render", "reference"): reference_render,
    ("rerender", "stage"): stage_rerender,
    ("deliver", "stage"): stage_deliver,
    ("cycle", "stage"): stage_cycle,
    ("ingest", "floor"): floor_ingest,
    ("validate", "floor"): floor_validate,
    ("compute", "floor"): floor_compute,
    ("render", "floor"): floor_render,
    ("deliver", "floor"): floor_deliver,
}


class TreeSampler:
    """The peak resident memory of this process and its descendants, sampled in a thread.

    Finding the tree (``children(recursive=True)``) scans all of /proc: done every
    ``discover_every`` seconds; the memory of the processes found is read every ``interval``
    (one small /proc read each). Scanning /proc every 20 ms cost about 35 s of CPU over an M
    cycle, on the same two cores as the stage. A process that lives less than
    ``discover_every`` may be missed; the render workers and the Prefect server live for the
    whole step."""

    def __init__(self, interval: float = 0.02, discover_every: float = 0.5) -> None:
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._discover_every = discover_every
        self._stop = threading.Event()
        self._tree: list[psutil.Process] = [self._process]
        self._found_at = 0.0
        self.peak = 0
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _discover(self) -> None:
        import psutil

        with contextlib.suppress(psutil.Error):
            self._tree = [self._process, *self._process.children(recursive=True)]
        self._found_at = time.monotonic()

    def _sample(self) -> None:
        import psutil

        if time.monotonic() - self._found_at >= self._discover_every:
            self._discover()
        total = 0
        for proc in self._tree:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        self.peak = max(self.peak, total)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self._interval)

    def __enter__(self) -> TreeSampler:
        self._discover()
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._discover()
        self._sample()


def measure(spec: Spec) -> dict[str, Any]:
    """Configure, prepare the stage (imports, inputs), then time the stage call alone."""
    _configure(spec)
    runner = RUNS[(spec["stage"], spec["kind"])](spec)
    with TreeSampler() as sampler:
        started = time.perf_counter()
        units, unit, details = runner()
        wall = time.perf_counter() - started
    kib = 1024  # ru_maxrss is in KiB on Linux
    return {
        "stage": spec["stage"],
        "kind": spec["kind"],
        "wall_s": round(wall, 3),
        "units": units,
        "unit": unit,
        "per_s": round(units / wall, 1) if wall > 0 else None,
        "peak_rss_mib": round(sampler.peak / 2**20, 1),
        "self_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib, 1),
        "children_maxrss_mib": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kib, 1
        ),
        "details": details,
    }


def main(argv: list[str]) -> int:
    spec_path = Path(argv[0])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result = measure(spec)
    Path(spec["result"]).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
