"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from iku.rules import Rules
from tests.integration.bulletin_fixtures import seed_period
from tests.integration.smtp_server import Mailbox, free_port


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cli_database(
    request: pytest.FixtureRequest, isolated_settings: object, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The database the CLI uses (``IKU_DATABASE_URL``): the isolated SQLite file, or a fresh
    PostgreSQL schema; yields its URL."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from iku.runtime import process_runtime, reset_process_runtime
    from tests import conftest

    if request.param == "sqlite":
        yield process_runtime().settings.database_url
        return
    if conftest._postgres_problem:
        pytest.skip(f"PostgreSQL unreachable: {conftest._postgres_problem}")
    schema = f"iku_cli_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(conftest.POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(conftest.POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    monkeypatch.setenv("IKU_DATABASE_URL", text)
    reset_process_runtime()
    try:
        yield text
    finally:
        reset_process_runtime()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def seeded(loaded: Engine, rules: Rules) -> Engine:
    """The catalog with the bulletins' seeded period (:func:`bulletin_fixtures.seed_period`)."""
    seed_period(loaded, rules)
    return loaded
