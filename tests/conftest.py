"""Shared fixtures: isolated settings, and real databases (SQLite file and PostgreSQL schema).

PostgreSQL: ``IKU_TEST_POSTGRES_URL`` (default: the local server's ``test`` database). With
``IKU_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) an unreachable server fails the whole run at
start; without it, PostgreSQL cases are skipped with the reason shown.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from iku import migrate
from iku.catalog import load_catalog
from iku.db import make_engine
from iku.rules import Rules, load_rules
from iku.runtime import reset_process_runtime

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = PROJECT_ROOT / "data" / "catalog"
RULES_FILE = PROJECT_ROOT / "data" / "rules.yaml"
POSTGRES_URL = os.environ.get(
    "IKU_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
POSTGRES_REQUIRED = os.environ.get("IKU_REQUIRE_POSTGRES", "") not in ("", "0", "false")

_postgres_problem: str | None = None


def _check_postgres() -> str | None:
    engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to connect is reported verbatim
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _postgres_problem
    _postgres_problem = _check_postgres()
    if _postgres_problem and POSTGRES_REQUIRED:
        pytest.exit(
            f"PostgreSQL is required (IKU_REQUIRE_POSTGRES=1) but unreachable at "
            f"{sa.engine.make_url(POSTGRES_URL).render_as_string(hide_password=True)}: "
            f"{_postgres_problem}. Start it or set IKU_TEST_POSTGRES_URL.",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own state folders and SQLite file; the repo's rules and catalog."""
    monkeypatch.setenv("IKU_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'iku.db'}")
    monkeypatch.setenv("IKU_INBOX_DIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("IKU_ARCHIVE_DIR", str(tmp_path / "var" / "archive"))
    monkeypatch.setenv("IKU_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("IKU_CATALOG_DIR", str(CATALOG_DIR))
    monkeypatch.setenv("IKU_RULES_FILE", str(RULES_FILE))
    reset_process_runtime()
    yield tmp_path
    reset_process_runtime()


def _sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    yield engine
    engine.dispose()


def _postgres_engine() -> Iterator[Engine]:
    if _postgres_problem:
        pytest.skip(f"PostgreSQL unreachable: {_postgres_problem}")
    schema = f"iku_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    # The schema in the URL, not in connect_args: the web process's worker processes connect
    # with the engine's URL.
    url = sa.engine.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database on each backend: a SQLite file, and a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield from _sqlite_engine(tmp_path)
    else:
        yield from _postgres_engine()


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    """A database at the latest schema."""
    migrate.upgrade(engine)
    return engine


@pytest.fixture
def loaded(migrated: Engine) -> Engine:
    """A database at the latest schema with the repository's catalog loaded."""
    load_catalog(CATALOG_DIR, migrated)
    return migrated


@pytest.fixture
def rules() -> Rules:
    """The repository's rules file."""
    return load_rules(RULES_FILE)


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A writable copy of the repository's catalog."""
    target = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, target)
    return target


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One Prefect ephemeral API for the whole test session, its state in a temporary folder.

    Starting it costs about ten seconds, so every flow test shares it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect")))
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=120):
            yield
