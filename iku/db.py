"""Database engine, sessions and the timezone-aware timestamp type (PostgreSQL or SQLite)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Engine, MetaData, Select, Table, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from iku.settings import TIMEZONE

if TYPE_CHECKING:
    # pandas is imported where frames are read, so processes that never read one (the web
    # application, most CLI commands) start without it.
    import pandas as pd

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
        if parsed.database and parsed.database != ":memory:":
            # Keep the connections of a busy web process (its request threads) open: beyond
            # the default five, each overflow connection was opened, set up and closed again
            # per request (a twentieth of a loaded process's time). A SQLite connection is a
            # file handle and a page cache, cheap to keep.
            kwargs.setdefault("pool_size", 20)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


_gc_pause = {"depth": 0, "was_enabled": False}
_gc_lock = threading.Lock()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a block builds millions of acyclic
    objects (the row tuples of a large read): every collection would traverse all of them
    without freeing any (7% of a national validation). Process-wide, so nested and
    concurrent pauses are counted, and the collector resumes (if it was on) when the last ends.
    """
    with _gc_lock:
        if _gc_pause["depth"] == 0:
            _gc_pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_pause["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pause["depth"] -= 1
            if _gc_pause["depth"] == 0 and _gc_pause["was_enabled"]:
                gc.enable()


def read_frame(session: Session, query: Select[*tuple[Any, ...]]) -> pd.DataFrame:
    """A Core select's rows as a DataFrame, in the session's transaction, fast.

    Rows come straight from the DBAPI cursor as plain tuples, and only the columns whose type
    converts results (timestamps, booleans on SQLite, JSON) go through SQLAlchemy's result
    processor. Building SQLAlchemy ``Row`` objects, and pandas probing each of them, costs
    several times the query itself on the million-row reads of validation and the engine.
    Columns are named by the select's column labels.
    """
    import pandas as pd  # here, not at import: `iku --help` must not pay for pandas

    dialect = session.get_bind().dialect
    columns = [column.key for column in query.selected_columns]
    with paused_gc():
        result = session.connection().execute(query)
        try:
            cursor = result.cursor
            records = cursor.fetchall() if cursor is not None else []
            type_codes = [d[1] for d in cursor.description] if cursor is not None else []
        finally:
            result.close()
        frame = pd.DataFrame.from_records(records, columns=columns, nrows=len(records))
        del records
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


def bulk_insert(
    session: Session, table: Table, data: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]]
) -> None:
    """Insert many rows with one ``executemany`` on the DBAPI cursor, in the session's
    transaction (``execute_values`` pages on PostgreSQL). ``data`` is a list of rows (every
    row with the keys of the first) or a mapping of column name to equally long value lists.

    Values go through each column's bind processor (timestamps, JSON) as SQLAlchemy would, but
    once per distinct value, and without building SQLAlchemy's per-row parameter sets: for the
    hundred thousand realisations of a national validation that bookkeeping cost twice the
    insert itself. Use it where rows need no ORM behaviour and no returned keys.
    """
    if isinstance(data, Mapping):
        given = {key: list(values) for key, values in data.items()}
    else:
        given = {key: [row[key] for row in data] for key in (data[0] if data else {})}
    if not given or not next(iter(given.values())):
        return
    dialect = session.get_bind().dialect
    # SQLAlchemy's Python-side defaults are not applied here: refuse to silently skip one.
    defaulted = [c.name for c in table.columns if c.default is not None and c.name not in given]
    if defaulted:
        raise ValueError(f"bulk_insert into {table.name}: give {defaulted} (Python defaults)")
    columns: list[list[Any]] = []
    for key, values in given.items():
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(_processed(values, process) if process is not None else values)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(key) for key in given)
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES "
    rows = list(zip(*columns, strict=True))
    cursor = session.connection().connection.cursor()
    try:
        if dialect.name == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cursor, f"{statement}%s", rows, page_size=1000)
        else:
            cursor.executemany(f"{statement}({', '.join('?' for _ in given)})", rows)
    finally:
        cursor.close()


def _processed(values: list[Any], process: Callable[[Any], Any]) -> list[Any]:
    """``process`` applied to every value, computed once per distinct value (lists, as JSON
    columns hold, are keyed by their items)."""
    cache: dict[Any, Any] = {}
    out: list[Any] = []
    for value in values:
        key = ("[list]", *value) if type(value) is list else value
        try:
            out.append(cache[key])
        except KeyError:
            cache[key] = result = process(value)
            out.append(result)
        except TypeError:  # unhashable: no caching
            out.append(process(value))
    return out
