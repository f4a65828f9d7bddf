"""Database engine, sessions and the timezone-aware timestamp type (PostgreSQL or SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import DateTime, Engine, MetaData, Select, Table, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from iku.settings import TIMEZONE

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints the same way."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TZDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware.

    Stored as UTC (``timestamptz`` on PostgreSQL, ISO text on SQLite, which has no time zones)
    and returned in WIB (Asia/Jakarta). Naive datetimes are refused: their zone is unknowable.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(TIMEZONE)


def now_wib() -> datetime:
    """The current time in WIB."""
    return datetime.now(TIMEZONE)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite, create the folder, enforce foreign keys and use WAL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


_engines: dict[str, Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for a URL (the settings' URL by default)."""
    if url is None:
        from iku.settings import get_settings

        url = get_settings().database_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


def read_frame(session: Session, query: Select[*tuple[Any, ...]]) -> pd.DataFrame:
    """A Core select's rows as a DataFrame, in the session's transaction, fast.

    Rows come straight from the DBAPI cursor as plain tuples, and only the columns whose type
    converts results (timestamps, booleans on SQLite, JSON) go through SQLAlchemy's result
    processor. Building SQLAlchemy ``Row`` objects, and pandas probing each of them, costs
    several times the query itself on the million-row reads of validation and the engine.
    Columns are named by the select's column labels.
    """
    dialect = session.get_bind().dialect
    result = session.connection().execute(query)
    try:
        cursor = result.cursor
        records = cursor.fetchall() if cursor is not None else []
        type_codes = [d[1] for d in cursor.description] if cursor is not None else []
    finally:
        result.close()
    columns = [column.key for column in query.selected_columns]
    frame = pd.DataFrame.from_records(records, columns=columns, nrows=len(records))
    for position, column in enumerate(query.selected_columns):
        type_code = type_codes[position] if position < len(type_codes) else None
        process = column.type.dialect_impl(dialect).result_processor(dialect, type_code)
        if process is not None and len(frame):
            converted = [process(value) for value in frame.iloc[:, position]]
            frame.isetitem(position, pd.Series(converted, index=frame.index).array)
    return frame


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class (for Core bulk statements, which skip the ORM's
    per-row bookkeeping)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
