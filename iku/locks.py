"""One evaluation cycle per period at a time, enforced by the database, and never lost silently.

The holder of a period's cycle keeps a **lease**: the ``cycle_lock`` row of the period, whose
``owner`` is a token new at every acquisition (host, pid and a random part).

- PostgreSQL: a session-level advisory lock on a dedicated connection keeps two runs apart; the
  server releases it when that connection ends (the holder died, or a restart or a network cut
  dropped the connection). Whoever takes the advisory lock then writes its own token into the
  lease row.
- SQLite (the embedded single-machine default): the lease row is the lock; a lease whose
  process is gone is taken over, so a killed run never blocks the next one.

**Fencing.** A run's steps carry a :class:`CycleFence` (period and token, picklable, so Dask
workers carry it too) and call :meth:`CycleFence.verify` inside each of their transactions.
On PostgreSQL it reads the lease row ``FOR SHARE``: a run taking the period over must update
that row, so it waits until every step transaction that verified has ended, and every step that
starts later sees the new token and fails with :class:`CycleLockLostError` without writing.
Two runs' database writes therefore never overlap, whatever happens to the connections.

**Noticing.** :class:`CycleHold` checks its lock connection before every step
(:meth:`CycleHold.ensure`) and every few seconds from a heartbeat thread. When the connection
dropped it reconnects and takes the advisory lock again; it goes on only if its token is still
in the lease row (nobody ran in between), and otherwise stops the run with
:class:`CycleLockLostError`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import now_wib
from iku.i18n import N_, _

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
#: How often the holder checks its PostgreSQL lock connection (``IKU_LOCK_HEARTBEAT_SECONDS``).
HEARTBEAT_SECONDS = 2.0


class CycleBusyError(RuntimeError):
    """Another run holds the period's cycle."""


class CycleLockLostError(RuntimeError):
    """The run no longer holds its period: it must stop before writing anything more."""


def busy_message(period: str) -> str:
    """The one sentence a second run of a period gets, whenever and however it starts."""
    return _(
        "The cycle of period %(period)s is running; wait until it ends, or run again with "
        "--wait to queue behind it.",
        period=period,
    )


def _lost_message(period: str, why: str) -> str:
    return _(
        "The cycle of period %(period)s was stopped: %(why)s. So that two processes of one "
        "period never overlap, this process writes nothing more; check the other process, then "
        "run this period again.",
        period=period,
        why=why,
    )


#: Why a run lost its period (parts of the sentence above).
MSG_TAKEN_OVER = N_("another process took its period over")
MSG_DROPPED_HELD = N_(
    "its lock in the database was lost (the connection dropped) and another process holds "
    "this period"
)
MSG_DROPPED_HAD = N_(
    "its lock in the database was lost (the connection dropped) and another process held this "
    "period meanwhile"
)


def advisory_key(period: str, schema: str) -> int:
    """The advisory lock key of a period's cycle. Advisory locks are per database, so the key
    names the schema too: two systems (or two test schemas) in one database never collide."""
    digest = hashlib.sha256(f"iku-cycle:{schema}:{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _key_on(connection: Connection, period: str) -> int:
    return advisory_key(period, str(connection.scalar(select(func.current_schema()))))


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


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


@dataclass(frozen=True)
class CycleFence:
    """What a step of a run needs to prove, in its own transaction, that its run still holds
    the period. Picklable: tasks on other threads, processes or Dask workers carry it."""

    period: str
    token: str

    def verify(self, session: Session) -> None:
        """Raise :class:`CycleLockLostError` unless the lease row still carries this run's
        token. On PostgreSQL the row stays share-locked until the caller's transaction ends,
        so a run taking the period over waits for it (see the module docstring)."""
        query = select(m.CycleLock.owner).where(m.CycleLock.period == self.period)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(read=True)
        holder = session.scalar(query)
        if holder != self.token:
            raise CycleLockLostError(_lost_message(self.period, _(MSG_TAKEN_OVER)))

    def holds(self, engine: Engine) -> bool:
        """Whether the run still holds the period (one short read; for long steps that write
        files between transactions)."""
        with engine.connect() as connection:
            holder = connection.scalar(
                select(m.CycleLock.owner).where(m.CycleLock.period == self.period)
            )
        return holder == self.token

    def watch(self, engine: Engine, every_seconds: float = HEARTBEAT_SECONDS) -> Callable[[], bool]:
        """A ``keep_going()`` for long loops: whether the run still holds the period, read
        from the database at most every ``every_seconds``; once lost, always False."""
        state = {"checked": time.monotonic(), "holds": True}

        def keep_going() -> bool:
            now = time.monotonic()
            if state["holds"] and now - state["checked"] >= every_seconds:
                state["checked"], state["holds"] = now, self.holds(engine)
            return bool(state["holds"])

        return keep_going


def _write_lease(engine: Engine, period: str, token: str) -> None:
    """Put ``token`` in the period's lease row (PostgreSQL, while holding the advisory lock).
    The update waits for the step transactions of a previous holder that verified their
    fence; only then can this run's steps start."""
    with engine.begin() as connection:
        updated = connection.execute(
            update(m.CycleLock)
            .where(m.CycleLock.period == period)
            .values(owner=token, acquired_at=now_wib())
        )
        if not updated.rowcount:
            connection.execute(
                insert(m.CycleLock).values(period=period, owner=token, acquired_at=now_wib())
            )


class CycleHold:
    """The holder's side of a period's cycle: its fence, its lock connection (PostgreSQL) and
    the checks that notice a lost lock. Made by :func:`cycle_lock`."""

    def __init__(self, period: str, engine: Engine, token: str, heartbeat_seconds: float) -> None:
        self.period = period
        self._heartbeat_seconds = heartbeat_seconds
        self.fence = CycleFence(period, token)
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._key: int | None = None  # known once connected (it names the schema)
        self._connection: Connection | None = None
        self._mutex = threading.Lock()
        self._lost: str | None = None
        self._stopping = threading.Event()
        self._heartbeat: threading.Thread | None = None

    # -- PostgreSQL lock connection -------------------------------------------------------

    def _try_advisory_lock(self) -> bool:
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if self._key is None:
                self._key = _key_on(connection, self.period)
            acquired = bool(connection.scalar(select(func.pg_try_advisory_lock(self._key))))
        except BaseException:
            connection.close()
            raise
        if not acquired:
            connection.close()
            return False
        self._connection = connection
        return True

    def _connection_alive(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.scalar(select(1))
        except DBAPIError:
            self._drop_connection()
            return False
        return True

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except DBAPIError:
                pass

    def _recover(self) -> None:
        """The lock connection dropped: take the advisory lock again and go on only if no
        other run held the period meanwhile (this run's token is still in the lease row)."""
        try:
            acquired = self._try_advisory_lock()
        except DBAPIError as exc:
            # The database is unreachable: nobody can take the period over without it, and
            # every step's own transaction fails too. Try again at the next check.
            log.warning(
                "cycle %s: cannot reach the database to renew its lock: %s", self.period, exc
            )
            return
        if not acquired:
            self._lost = _(MSG_DROPPED_HELD)
            return
        if not self.fence.holds(self._engine):
            self._lost = _(MSG_DROPPED_HAD)
            self._release_advisory()
            return
        log.warning("cycle %s: the lock connection dropped; lock taken again", self.period)

    def _release_advisory(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.scalar(select(func.pg_advisory_unlock(self._key)))
        except DBAPIError:
            pass  # the session is gone, and its lock with it
        finally:
            connection.close()

    # -- checks ---------------------------------------------------------------------------

    def _check(self) -> None:
        with self._mutex:
            if self._lost is not None:
                return
            if self._postgres:
                if not self._connection_alive():
                    self._recover()
                return
            if not self.fence.holds(self._engine):
                self._lost = "barisnya di tabel kunci diambil alih atau dihapus"

    @property
    def lost(self) -> bool:
        """Whether the run lost its period (a step must not start; a long one should stop)."""
        return self._lost is not None

    def ensure(self) -> None:
        """Before a step: check the lock (taking it again after a dropped connection); raise
        :class:`CycleLockLostError` if the run no longer holds its period."""
        self._check()
        if self._lost is not None:
            raise CycleLockLostError(_lost_message(self.period, self._lost))

    def _beat(self) -> None:
        while not self._stopping.wait(self._heartbeat_seconds):
            try:
                self._check()
            except Exception:  # the heartbeat must never die; ensure() reports
                log.exception("cycle %s: lock heartbeat failed", self.period)
            if self._lost is not None:
                log.error("cycle %s: %s", self.period, self._lost)
                return

    def _start_heartbeat(self) -> None:
        if self._postgres:
            self._heartbeat = threading.Thread(
                target=self._beat, name=f"cycle-lock-{self.period}", daemon=True
            )
            self._heartbeat.start()

    def _release(self) -> None:
        self._stopping.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        with self._mutex:
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        delete(m.CycleLock).where(
                            m.CycleLock.period == self.period,
                            m.CycleLock.owner == self.fence.token,
                        )
                    )
            except DBAPIError as exc:
                # The next holder overwrites the row anyway (PostgreSQL) or finds it dead.
                log.warning("cycle %s: could not remove its lease: %s", self.period, exc)
            if self._postgres:
                self._release_advisory()


def _acquire_sqlite(period: str, engine: Engine, token: str, deadline: float) -> None:
    while True:
        try:
            with engine.begin() as connection:
                connection.execute(
                    insert(m.CycleLock).values(period=period, owner=token, acquired_at=now_wib())
                )
            return
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
                log.info("cycle %s is held by %s", period, holder)
                raise CycleBusyError(busy_message(period)) from None
            time.sleep(POLL_SECONDS)


@contextmanager
def cycle_lock(
    period: str,
    *,
    engine: Engine,
    wait_seconds: float = 0.0,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> Iterator[CycleHold]:
    """Hold the period's cycle; raise :class:`CycleBusyError` if another run keeps it longer
    than ``wait_seconds``. Yields the :class:`CycleHold` (its fence for the run's steps)."""
    deadline = time.monotonic() + wait_seconds
    hold = CycleHold(period, engine, _owner(), heartbeat_seconds)
    if engine.dialect.name == "postgresql":
        while not hold._try_advisory_lock():
            if time.monotonic() >= deadline:
                raise CycleBusyError(busy_message(period))
            time.sleep(POLL_SECONDS)
        try:
            _write_lease(engine, period, hold.fence.token)
        except BaseException:
            hold._release_advisory()
            raise
    else:
        _acquire_sqlite(period, engine, hold.fence.token, deadline)
    hold._start_heartbeat()
    try:
        yield hold
    finally:
        hold._release()


def cycle_busy(period: str, *, engine: Engine) -> bool:
    """Whether another run holds the period's cycle right now (a check for a clear message
    before starting; the run itself still takes the lock)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = _key_on(connection, period)
            acquired = connection.scalar(select(func.pg_try_advisory_lock(key)))
            if acquired:
                connection.scalar(select(func.pg_advisory_unlock(key)))
            connection.commit()
            return not acquired
    with engine.connect() as connection:
        holder = connection.scalar(select(m.CycleLock.owner).where(m.CycleLock.period == period))
    return holder is not None and _alive(holder)
