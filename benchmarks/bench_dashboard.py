"""Benchmark of the leaders' dashboard over real HTTP (issue 18; not a test).

Run: ``.venv/bin/python -m benchmarks.bench_dashboard [--scales S,M] [--repeat K]`` (``make
bench`` runs it after the stage harness). For each scale it takes the harness's prepared state
(:mod:`benchmarks.scales`: S = 41 agencies, M = 640 agencies, twelve months of history and
computed figures for January..September 2026), copies its database, adds a ``leader`` account,
starts the web application in uvicorn on a loopback port exactly as ``iku web`` builds it,
signs in through the form and times, K times after one warm-up, the answer (status 200, whole
body read) of each dashboard level for the latest computed period: the province, one sector,
one agency and one IKU. The bars (issue 18): the province page under 0,3 s at S and under 1 s
at M (the median of the K answers).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select

from benchmarks.bench_ingest import RULES_FILE
from benchmarks.scales import DEFAULT_CACHE, DEFAULT_SEED, prepare, scale_named

BARS: Final = {"S": 0.3, "M": 1.0}
PASSWORD: Final = "kata-sandi-bench-yang-panjang"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _targets(engine: Any, period: str) -> dict[str, str]:
    """One address per level: the province, its first sector, the agency with the most IKU
    (the largest agency page) and that agency's first IKU."""
    from iku import models as m
    from iku.db import session_scope

    with session_scope(engine) as session:
        sector = session.scalar(
            select(m.Achievement.sector)
            .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Achievement.cycle_id)
            .where(m.EvaluationCycle.period == period, m.Achievement.level == "sector")
            .order_by(m.Achievement.sector)
            .limit(1)
        )
        agency, indicator = session.execute(
            select(m.Agency.code, m.Indicator.code)
            .join(m.Indicator, m.Indicator.agency_id == m.Agency.id)
            .where(m.Indicator.is_active.is_(True))
            .order_by(m.Agency.code, m.Indicator.code)
            .limit(1)
        ).one()
    return {
        "province": f"/dasbor?period={period}",
        "sector": f"/dasbor/sektor/{sector}?period={period}",
        "agency": f"/dasbor/opd/{agency}?period={period}",
        "indicator": f"/dasbor/iku/{indicator}?period={period}&opd={agency}",
    }


def run_scale(name: str, repeat: int, cache: Path) -> dict[str, Any]:
    import httpx
    import uvicorn

    from iku.accounts import create_account
    from iku.db import make_engine, session_scope
    from iku.operations.dashboard import evaluated_periods
    from iku.runtime import Runtime
    from iku.settings import Settings
    from iku.web.server import uvicorn_config

    prepared = prepare(scale_named(name), DEFAULT_SEED, cache)
    folder = Path(tempfile.mkdtemp(prefix=f"dash-{name}-"))
    try:
        database = folder / "iku.db"
        shutil.copy(prepared.database, database)
        url = f"sqlite:///{database}"
        engine = make_engine(url)
        with session_scope(engine) as session:
            create_account(session, "pimpinan", role="leader", password=PASSWORD, agencies=())
            period = evaluated_periods(session)[0]
        settings = Settings(
            _env_file=None,
            database_url=url,
            inbox_dir=folder / "inbox",
            archive_dir=folder / "archive",
            output_dir=folder / "out",
            catalog_dir=prepared.catalog_dir,
            rules_file=RULES_FILE,
        )
        rt = Runtime(settings, engine=engine)
        sock = _free_socket()
        port = sock.getsockname()[1]
        config = uvicorn_config(rt, "127.0.0.1", port)
        assert isinstance(config, uvicorn.Config)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the web application did not start")
            time.sleep(0.05)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                form = client.get("/masuk")
                token = _CSRF.search(form.text)
                assert token is not None
                signed = client.post(
                    "/masuk",
                    data={
                        "csrf_token": token.group(1),
                        "username": "pimpinan",
                        "password": PASSWORD,
                    },
                )
                assert signed.status_code == 303, signed.text
                levels: dict[str, dict[str, Any]] = {}
                for level, path in _targets(engine, period).items():
                    times = []
                    for attempt in range(repeat + 1):
                        started = time.perf_counter()
                        answer = client.get(path)
                        body = answer.content
                        elapsed = time.perf_counter() - started
                        if answer.status_code != 200:
                            raise RuntimeError(f"{path}: {answer.status_code} {body[:300]!r}")
                        if attempt:  # the first answer warms the caches (templates, imports)
                            times.append(elapsed)
                    levels[level] = {
                        "path": path,
                        "min_s": round(min(times), 4),
                        "median_s": round(statistics.median(times), 4),
                        "bytes": len(body),
                    }
                    print(
                        f"  {name} {level:9s} median {levels[level]['median_s']:.3f} s "
                        f"(min {levels[level]['min_s']:.3f} s, {len(body)} bytes) {path}",
                        file=sys.stderr,
                    )
        finally:
            server.should_exit = True
            thread.join(60)
            sock.close()
            engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    bar = BARS.get(name)
    median = float(levels["province"]["median_s"])
    return {
        "scale": name,
        "agencies": prepared.scale.agencies,
        "period": period,
        # The machine is shared: the load average says how much the wall times are inflated.
        "load_average_1min": round(os.getloadavg()[0], 2),
        "levels": levels,
        "bar_s": bar,
        "passed": None if bar is None else median < bar,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="S,M", help="S, M or a number of agencies")
    parser.add_argument("--repeat", type=int, default=5, help="timed answers per level")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    results = []
    for name in [s.strip().upper() for s in args.scales.split(",") if s.strip()]:
        print(f"== dashboard at {name}", file=sys.stderr)
        results.append(run_scale(name, max(1, args.repeat), args.cache))
    print(json.dumps({"dashboard": results}, indent=2))
    failed = [r for r in results if r["passed"] is False]
    for r in results:
        verdict = "–" if r["passed"] is None else "PASS" if r["passed"] else "FAIL"
        print(
            f"{r['scale']} ({r['agencies']} agencies): province page median "
            f"{r['levels']['province']['median_s']:.3f} s, bar {r['bar_s']} s: {verdict} "
            f"(load average {r['load_average_1min']})",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
