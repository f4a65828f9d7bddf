"""Benchmark of the submissions API under concurrent submitters (issue 17; not a test).

Run: ``.venv/bin/python -m benchmarks.bench_submissions [--submitters 20] [--rounds 5]
[--postgres URL]`` (``make bench-portal``). It makes a fresh database (SQLite file, or a fresh
schema on PostgreSQL with ``--postgres``), migrated, with the repository's catalog and one
``agency`` account with an API token per submitter (one agency each), then starts the web
application in its own process exactly as ``iku web`` builds it (uvicorn on a loopback port).

Each submitter sends ``--rounds`` submissions one after another, all submitters at once: a
20-row JSON submission of the period that has just ended (its agency's IKU, each with a new
value, and rows of codes the catalog does not know, so that every submission has held rows as
well as accepted ones). The time of each ``POST /api/v1/submissions`` is the whole answer (201,
body read). Meanwhile the first submitter, after each of its answers, polls
``GET /api/v1/achievements`` until its agency's figures show the value it sent: the
figures-updated latency, counted from the moment the submission was sent.

The bars (issue 17): the answer's p95 under 1 s with 20 concurrent submitters; the agency's
figures updated within 5 s. Prints p50/p95/max, the figures latency, PASS/FAIL, and JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
CATALOG_DIR: Final = ROOT / "data" / "catalog"
RULES_FILE: Final = ROOT / "data" / "rules.yaml"
ROWS: Final = 20
P95_BAR: Final = 1.0
FIGURES_BAR: Final = 5.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings_env(url: str, folder: Path) -> dict[str, str]:
    return {
        "IKU_DATABASE_URL": url,
        "IKU_INBOX_DIR": str(folder / "inbox"),
        "IKU_ARCHIVE_DIR": str(folder / "archive"),
        "IKU_OUTPUT_DIR": str(folder / "out"),
        "IKU_CATALOG_DIR": str(CATALOG_DIR),
        "IKU_RULES_FILE": str(RULES_FILE),
    }


def _prepare(url: str, submitters: int) -> list[tuple[str, str, list[str]]]:
    """Migrate, load the catalog, one agency account + token per submitter: (agency, token,
    IKU codes)."""
    from sqlalchemy import select

    from iku import migrate
    from iku import models as m
    from iku.accounts import create_account, issue_token
    from iku.catalog import load_catalog
    from iku.db import make_engine, session_scope

    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        load_catalog(CATALOG_DIR, engine)
        with session_scope(engine) as session:
            found = session.execute(
                select(m.Agency.code, m.Indicator.code)
                .join(m.Indicator, m.Indicator.agency_id == m.Agency.id)
                .where(m.Indicator.is_active)
                .order_by(m.Agency.code, m.Indicator.code)
            ).all()
            codes: dict[str, list[str]] = {}
            for agency, code in found:
                codes.setdefault(agency, []).append(code)
            others = session.scalars(
                select(m.Agency.code)
                .where(m.Agency.code.notin_(list(codes)))
                .order_by(m.Agency.code)
            ).all()
            agencies = (sorted(codes) + list(others))[:submitters]
            out = []
            for agency in agencies:
                account = create_account(
                    session,
                    f"bench_{agency.lower()}",
                    role="agency",
                    password=None,
                    agencies=[agency],
                )
                token, _row = issue_token(session, account, kind="api", name="bench")
                out.append((agency, token, codes.get(agency, [])))
        return out
    finally:
        engine.dispose()


def _body(agency: str, codes: list[str], period: str, value: float) -> bytes:
    rows: list[dict[str, Any]] = [
        {
            "indicator_code": code,
            "realisasi": value,
            "evidence_url": f"https://bukti.example/{code}",
        }
        for code in codes[:ROWS]
    ]
    n = 0
    while len(rows) < ROWS:
        n += 1
        rows.append({"indicator_code": f"{agency}-9{n:02d}", "realisasi": value})
    return json.dumps({"agency_code": agency, "period": period, "rows": rows}).encode()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(submitters: int, rounds: int, postgres: str | None) -> dict[str, Any]:
    import httpx
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from iku import calendar
    from iku.db import now_wib

    folder = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    schema = None
    admin = None
    if postgres:
        schema = f"iku_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(postgres)
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = (
            make_url(postgres)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    else:
        url = f"sqlite:///{folder / 'iku.db'}"
    server: subprocess.Popen[bytes] | None = None
    try:
        accounts = _prepare(url, submitters)
        period = calendar.previous_period(now_wib())
        port = _free_port()
        env = {**os.environ, **_settings_env(url, folder), "IKU_WEB_TRUSTED_PROXIES": "127.0.0.1"}
        log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed with the process
        server = subprocess.Popen(
            [sys.executable, "-m", "iku.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/masuk", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the web application did not start; see {folder}/server.log")
            time.sleep(0.2)
        # One warm-up submission (imports, the first Great Expectations run, reader processes).
        agency, token, codes = accounts[0]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        warm = httpx.post(
            f"{base}/api/v1/submissions",
            content=_body(agency, codes, period, 1.0),
            headers=headers,
            timeout=300,
        )
        if warm.status_code != 201:
            raise RuntimeError(f"warm-up: {warm.status_code} {warm.text[:300]}")

        answers: list[float] = []
        figures: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(len(accounts))

        def submitter(index: int, agency: str, token: str, codes: list[str]) -> None:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            with httpx.Client(base_url=base, timeout=300) as client:
                start.wait()
                for n in range(rounds):
                    value = round(10 + index + n * 0.25 + 0.125, 3)
                    sent = time.perf_counter()
                    answer = client.post(
                        "/api/v1/submissions",
                        content=_body(agency, codes, period, value),
                        headers=headers,
                    )
                    elapsed = time.perf_counter() - sent
                    with lock:
                        if answer.status_code == 201:
                            answers.append(elapsed)
                        else:
                            failures.append(f"{agency}: {answer.status_code} {answer.text[:200]}")
                    if index == 0 and codes and answer.status_code == 201:
                        until = time.monotonic() + 60
                        while time.monotonic() < until:
                            rows = client.get(
                                f"/api/v1/achievements?period={period}&agency={agency}",
                                headers={"Authorization": headers["Authorization"]},
                            ).json()
                            if any(
                                r.get("indicator_code") == codes[0] and r.get("realisasi") == value
                                for r in rows
                            ):
                                with lock:
                                    figures.append(time.perf_counter() - sent)
                                break
                            time.sleep(0.1)
                        else:
                            with lock:
                                failures.append(f"{agency}: figures not updated within 60 s")

        threads = [
            threading.Thread(target=submitter, args=(i, a, t, c))
            for i, (a, t, c) in enumerate(accounts)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    server_log = (folder / "server.log").read_text(errors="replace")
    batches = [line for line in server_log.splitlines() if "for " in line and "validated" in line]
    p95 = _percentile(answers, 0.95)
    worst_figures = max(figures) if figures else float("inf")
    return {
        "database": "postgresql" if postgres else "sqlite",
        "submitters": len(accounts),
        "rounds": rounds,
        "rows_per_submission": ROWS,
        "answers": len(answers),
        "failures": failures[:10],
        "wall_s": round(wall, 2),
        "p50_s": round(_percentile(answers, 0.5), 3),
        "p95_s": round(p95, 3),
        "max_s": round(max(answers), 3) if answers else None,
        "mean_s": round(statistics.fmean(answers), 3) if answers else None,
        "figures_updated_s": [round(f, 2) for f in figures],
        "figures_updated_max_s": round(worst_figures, 2),
        "validation_runs": len(batches),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "p95_bar_s": P95_BAR,
        "figures_bar_s": FIGURES_BAR,
        "p95_passed": p95 < P95_BAR and not failures,
        "figures_passed": worst_figures < FIGURES_BAR,
        "folder": str(folder),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submitters", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="submissions per submitter")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args(argv)
    result = run(max(1, args.submitters), max(1, args.rounds), args.postgres)
    print(json.dumps({"submissions": result}, indent=2))
    verdict = "PASS" if result["p95_passed"] else "FAIL"
    figures = "PASS" if result["figures_passed"] else "FAIL"
    print(
        f"{result['database']}: {result['answers']} answers from {result['submitters']} "
        f"concurrent submitters ({ROWS} rows each): p50 {result['p50_s']:.3f} s, "
        f"p95 {result['p95_s']:.3f} s (bar {P95_BAR} s): {verdict}; figures updated within "
        f"{result['figures_updated_max_s']:.2f} s (bar {FIGURES_BAR} s): {figures}; "
        f"{result['validation_runs']} validation runs; load average {result['load_average_1min']}",
        file=sys.stderr,
    )
    return 0 if result["p95_passed"] and result["figures_passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
