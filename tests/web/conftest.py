"""A running web application over real HTTP, on both databases, with a seeded period.

Per test module and backend: a database (SQLite file, or a fresh PostgreSQL schema) migrated,
with the catalog, a validated October 2026 (through the real validation, so the queue holds
open items of DINKES and DISDIKBUD), its computed figures, archived files and bulletin files,
and one account per role. The application runs in uvicorn on a free loopback port in a thread,
exactly as ``iku web`` builds it.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from iku import migrate
from iku import models as m
from iku.accounts import create_account
from iku.catalog import load_catalog
from iku.db import make_engine, session_scope
from iku.runtime import Runtime
from iku.settings import TIMEZONE, Settings
from tests.conftest import CATALOG_DIR, POSTGRES_URL, RULES_FILE

PASSWORD = "kata-sandi-uji-yang-panjang"
PERIOD = "2026-10"

#: username -> (role, agencies)
ACCOUNTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": ("admin", ()),
    "biro": ("bureau", ()),
    "rina": ("steward", ()),
    "steward_dinkes": ("steward", ("DINKES",)),
    "opd_dinkes": ("agency", ("DINKES",)),
    "kadis_dinkes": ("agency_head", ("DINKES",)),
    "opd_disdik": ("agency", ("DISDIKBUD",)),
    "pimpinan": ("leader", ()),
    "terkunci": ("leader", ()),
}


@dataclass
class WebDatabase:
    backend: str
    url: str
    engine: Engine
    root: Path
    ids: dict[str, Any] = field(default_factory=dict)

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.url,
            "inbox_dir": self.root / "inbox",
            "archive_dir": self.root / "archive",
            "output_dir": self.root / "out",
            "catalog_dir": CATALOG_DIR,
            "rules_file": RULES_FILE,
            "web_trusted_proxies": "127.0.0.1",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _staged(sub: m.Submission, row: int, code: str, raw: str | None, **kw: Any) -> m.StagedRow:
    values: dict[str, Any] = {
        "submission_id": sub.id,
        "source_file": sub.file_name,
        "source_row": row,
        "agency_code": kw.pop("agency_code"),
        "indicator_code": code,
        "period": sub.period,
        "raw_value": raw,
        "value": None,
        "state": "angka",
        "parse_status": "ok",
        "evidence_url": "https://bukti.example/berkas",
    }
    values.update(kw)
    return m.StagedRow(**values)


def _submission(session: Any, agency: str, period: str, status: str, archive: Path) -> m.Submission:
    agency_row = session.scalars(select(m.Agency).where(m.Agency.code == agency)).one()
    content = f"Kode OPD;Periode;Kode IKU;Realisasi\n{agency};{period};X;1\n".encode()
    digest = hashlib.sha256(content + uuid.uuid4().bytes).hexdigest()
    path = archive / digest[:2] / f"{digest}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    month = int(period[5:])
    submission = m.Submission(
        agency_id=agency_row.id,
        period=period,
        file_name=f"laporan_{agency.lower()}_{period}.csv",
        file_format="csv",
        sha256=digest,
        size_bytes=len(content),
        archive_path=str(path),
        received_at=datetime(2026, month + 1 if month < 12 else 12, 2, 9, tzinfo=TIMEZONE),
        status=status,
    )
    session.add(submission)
    session.flush()
    return submission


def seed(db: WebDatabase) -> None:
    """History Jan-Sep for DINKES, October files of DINKES and DISDIKBUD with bad rows, the
    real validation and compute, bulletin files, and the accounts."""
    from iku.engine.store import compute_period
    from iku.rules import load_rules
    from quality.validate import validate_period

    rules = load_rules(RULES_FILE)
    archive = db.root / "archive"
    with session_scope(db.engine) as session:
        indicators = {
            code: ident for code, ident in session.execute(select(m.Indicator.code, m.Indicator.id))
        }
        for month in range(1, 10):
            period = f"2026-{month:02d}"
            sub = _submission(session, "DINKES", period, "validated", archive)
            for code, base in {"DINKES-01": 30.0, "DINKES-02": 70.0, "DINKES-05": 97.0}.items():
                session.add(
                    m.Realisation(
                        submission_id=sub.id,
                        indicator_id=indicators[code],
                        period=period,
                        value=base + month * 0.5,
                        state="angka",
                        source_row=2,
                    )
                )
        dinkes = _submission(session, "DINKES", PERIOD, "staged", archive)
        d = {"agency_code": "DINKES"}
        session.add_all(
            [
                _staged(dinkes, 2, "DINKES-02", "80", value=80.0, **d),
                _staged(dinkes, 3, "DINKES-04", "abc", state=None, parse_status="invalid", **d),
                _staged(dinkes, 4, "DINKES-03", "belum tersedia", state="belum_tersedia", **d),
                _staged(dinkes, 5, "DINKES-99", "12", value=12.0, **d),
                _staged(dinkes, 6, "DINKES-01", "40,5", value=40.5, evidence_url="", **d),
                _staged(dinkes, 7, "DINKES-05", "x1", state=None, parse_status="invalid", **d),
            ]
        )
        disdik = _submission(session, "DISDIKBUD", PERIOD, "staged", archive)
        e = {"agency_code": "DISDIKBUD"}
        session.add_all(
            [
                _staged(disdik, 2, "DISDIKBUD-01", "xyz", state=None, parse_status="invalid", **e),
                _staged(disdik, 3, "DISDIKBUD-99", "5", value=5.0, **e),
                _staged(disdik, 4, "DISDIKBUD-02", "belum tersedia", state="belum_tersedia", **e),
                _staged(disdik, 5, "DISDIKBUD-03", "?", state=None, parse_status="invalid", **e),
            ]
        )
        db.ids["submission_dinkes"] = dinkes.id
        db.ids["submission_disdik"] = disdik.id
    with session_scope(db.engine) as session:
        validate_period(session, PERIOD, rules)
    with session_scope(db.engine) as session:
        summary = compute_period(session, PERIOD, rules)
        out = db.root / "out" / PERIOD
        out.mkdir(parents=True, exist_ok=True)
        codes = dict(session.execute(select(m.Agency.code, m.Agency.id)).all())
        for audience, key, agency_id in (
            ("province", "province", None),
            ("agency", "DINKES", codes["DINKES"]),
            ("agency", "DISDIKBUD", codes["DISDIKBUD"]),
        ):
            pdf = out / f"buletin_{key}.pdf"
            pdf.write_bytes(b"%PDF-1.4\n% buletin uji " + key.encode() + b"\n%%EOF\n")
            bulletin = m.Bulletin(
                cycle_id=summary.cycle_id,
                audience=audience,
                subject_key=key,
                agency_id=agency_id,
                html_path=None,
                pdf_path=str(pdf),
                sha256=hashlib.sha256(pdf.read_bytes()).hexdigest(),
            )
            session.add(bulletin)
            session.flush()
            db.ids[f"bulletin_{key}"] = bulletin.id
        for username, (role, agencies) in ACCOUNTS.items():
            create_account(session, username, role=role, password=PASSWORD, agencies=agencies)
    with session_scope(db.engine) as session:
        rows = session.execute(
            select(m.ValidationIssue.id, m.Agency.code, m.ValidationIssue.rule)
            .join(m.Submission, m.Submission.id == m.ValidationIssue.submission_id)
            .join(m.Agency, m.Agency.id == m.Submission.agency_id)
            .where(m.ValidationIssue.status == "open")
            .order_by(m.ValidationIssue.id)
        ).all()
    db.ids["issues"] = {"DINKES": [], "DISDIKBUD": []}
    for ident, code, _rule in rows:
        db.ids["issues"][code].append(ident)
    assert len(db.ids["issues"]["DINKES"]) >= 5, rows
    assert len(db.ids["issues"]["DISDIKBUD"]) >= 3, rows


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def web_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebDatabase]:
    root = tmp_path_factory.mktemp(f"web_{request.param}")
    admin = None
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'iku.db'}"
    else:
        from tests import conftest

        if conftest._postgres_problem:
            pytest.skip(f"PostgreSQL unreachable: {conftest._postgres_problem}")
        schema = f"iku_web_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = (
            make_url(POSTGRES_URL)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        load_catalog(CATALOG_DIR, engine)
        db = WebDatabase(request.param, url, engine, root)
        seed(db)
        yield db
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


class LiveApp:
    """An ASGI application in uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any = None) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = self._server(app)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def _server(self, app: Any) -> Any:
        import uvicorn

        return uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))

    def __enter__(self) -> Any:
        self.thread.start()
        deadline = time.monotonic() + 120  # generous: the machine is shared
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web application did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        self.socket.close()

    def client(self, **kw: Any) -> httpx.Client:
        kw.setdefault("follow_redirects", False)
        return httpx.Client(base_url=self.url, timeout=120, **kw)


class LiveServer(LiveApp):
    """The web application, configured by ``rt`` exactly as ``iku web`` configures it."""

    def __init__(self, rt: Runtime) -> None:
        self.runtime = rt
        super().__init__()

    def _server(self, app: Any) -> Any:
        import uvicorn

        from iku.web.server import uvicorn_config

        config = uvicorn_config(self.runtime, "127.0.0.1", self.port)
        assert isinstance(config, uvicorn.Config)
        return uvicorn.Server(config)


@pytest.fixture(scope="module")
def server(web_db: WebDatabase) -> Iterator[LiveServer]:
    rt = Runtime(web_db.settings(), engine=web_db.engine)
    with LiveServer(rt) as live:
        yield live


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(server: LiveServer, username: str, password: str = PASSWORD) -> httpx.Client:
    """A browser-like client signed in through the sign-in form."""
    client = server.client()
    form = client.get("/masuk")
    assert form.status_code == 200
    answer = client.post(
        "/masuk",
        data={"csrf_token": csrf_of(form.text), "username": username, "password": password},
    )
    assert answer.status_code == 303, answer.text
    return client


class Tokens:
    """Bearer tokens per username, from POST /api/v1/token, one per module."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.cache: dict[str, str] = {}

    def __call__(self, username: str) -> dict[str, str]:
        if username not in self.cache:
            with self.server.client() as client:
                answer = client.post(
                    "/api/v1/token", data={"username": username, "password": PASSWORD}
                )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["token_type"] == "bearer"
            self.cache[username] = body["access_token"]
        return {"Authorization": f"Bearer {self.cache[username]}"}


@pytest.fixture(scope="module")
def tokens(server: LiveServer) -> Tokens:
    return Tokens(server)


# The browser tests: Debian's chromium driven by Playwright, one browser per test module.
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: The browser tests' marker: skipped (with what to do) where chromium is missing.
needs_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason="Debian's chromium is missing: `make test` installs it (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=120_000)
        try:
            yield launched
        finally:
            launched.close()
