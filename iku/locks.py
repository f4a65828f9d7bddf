"""One evaluation cycle per period at a time, enforced by the database.

PostgreSQL: a session-level advisory lock on a dedicated connection; if the holder dies, the
server drops its connection and the lock with it. SQLite (the embedded single-machine default):
a lease row in ``cycle_lock`` naming its holder (host, pid); a lease whose process is gone is
taken over, so a killed run never blocks the next one.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from iku import models as m
from iku.db import now_wib

POLL_SECONDS = 1.0


class CycleBusyError(RuntimeError):
    """Another run holds the period's cycle."""


def _advisory_key(period: str) -> int:
    digest = hashlib.sha256(f"iku-cycle:{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _alive(owner: str) -> bool:
    """Whether the lease holder still runs (only knowable for holders on this host)."""
    host, _, rest = owner.partition(":")
    if host != socket.gethostname():
        return True
    try:
        pid = int(rest.split(":", 1)[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _busy(period: str, holder: str | None) -> CycleBusyError:
    who = f" (dipegang {holder})" if holder else ""
    return CycleBusyError(
        f"Siklus periode {period} sedang berjalan{who}; tunggu sampai selesai, atau jalankan "
        "lagi dengan --wait untuk mengantre."
    )


@contextmanager
def cycle_lock(period: str, *, engine: Engine, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the period's cycle; raise :class:`CycleBusyError` if another run keeps it longer
    than ``wait_seconds``."""
    deadline = time.monotonic() + wait_seconds
    if engine.dialect.name == "postgresql":
        key = _advisory_key(period)
        connection = engine.connect()
        try:
            while True:
                acquired = connection.execute(select(func.pg_try_advisory_lock(key))).scalar()
                connection.commit()
                if acquired:
                    break
                if time.monotonic() >= deadline:
                    raise _busy(period, None)
                time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                connection.execute(select(func.pg_advisory_unlock(key)))
                connection.commit()
        finally:
            connection.close()
        return

    owner = _owner()
    while True:
        try:
            with engine.begin() as connection:
                connection.execute(
                    insert(m.CycleLock).values(period=period, owner=owner, acquired_at=now_wib())
                )
            break
        except IntegrityError:
            with engine.begin() as connection:
                holder = connection.scalar(
                    select(m.CycleLock.owner).where(m.CycleLock.period == period)
                )
                if holder is not None and not _alive(holder):
                    connection.execute(
                        delete(m.CycleLock).where(
                            m.CycleLock.period == period, m.CycleLock.owner == holder
                        )
                    )
                    continue
            if time.monotonic() >= deadline:
                raise _busy(period, holder) from None
            time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(
                delete(m.CycleLock).where(m.CycleLock.period == period, m.CycleLock.owner == owner)
            )


def cycle_busy(period: str, *, engine: Engine) -> bool:
    """Whether another run holds the period's cycle right now (a check for a clear message
    before starting; the run itself still takes the lock)."""
    try:
        with cycle_lock(period, engine=engine):
            return False
    except CycleBusyError:
        return True
