"""Alembic environment: runs on PostgreSQL and SQLite (batch mode for SQLite's ALTER TABLE)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from iku import models  # noqa: F401  (registers the tables on the metadata)
from iku.db import Base, make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # The `alembic` command line itself: the database the environment names.
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from iku.runtime import Runtime

        url = Runtime.from_environment().settings.database_url
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `iku db upgrade`")
run_migrations_online()
