"""Child processes end with the process that started them, however it ends (even ``kill -9``).

Two mechanisms, each for what it can reach:

- :func:`die_with_parent`, run first thing in a child we start ourselves (the render pool's
  workers): on Linux the kernel sends the child ``SIGKILL`` when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``); everywhere a watcher thread also exits the child once its
  parent is gone (the parent may die before the ``prctl`` call, or the system may lack it).
- :func:`reap_descendants_at_exit`, called by an entry point that runs a cycle (``iku run``,
  ``iku demo``, ``iku render``): every process started afterwards inherits a tag in its
  environment (Prefect's local API server, Dask's local cluster, pool workers, their own
  children), and a small watchdog process, in its own session so a terminal's Ctrl-C or a
  kill of the caller's process group leaves it alone, waits on a pipe that only the entry
  point holds. When the pipe closes (the entry point ended, however it ended), the watchdog
  stops every process carrying the tag: ``SIGTERM``, then ``SIGKILL`` after a short grace.
  Linux only (it reads ``/proc``); elsewhere it does nothing.

Dask's own worker processes also exit when their parent goes (distributed watches a pipe).

Workers log through their parent (:func:`worker_logs`, :func:`start_worker`); a
:class:`WorkerProcess` is one long-lived child that runs calls for a long-lived parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import logging.handlers
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Final, TypeVar

T = TypeVar("T")

#: The environment variable that marks the processes an entry point started.
TAG_VARIABLE: Final = "IKU_PROCESS_TAG"
#: Seconds between a child's checks that its parent is alive (where prctl is unavailable).
PARENT_POLL_SECONDS: Final = 0.5
#: Seconds the watchdog waits after SIGTERM before SIGKILL.
GRACE_SECONDS: Final = 3.0
_PR_SET_PDEATHSIG: Final = 1

_reaper: dict[str, subprocess.Popen[bytes]] = {}
_reaper_lock = threading.Lock()
#: The write end of each watchdog's pipe, open until this process ends.
_keep_open: list[int] = []


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` (its parent) ends."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watcher below still ends the process
    if os.getppid() != parent_pid:  # the parent died before we could ask
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


class _ToParentLoggers(logging.Handler):
    """Hands a worker's log record to the parent's logger of the same name, so a worker's
    traceback goes where the parent's logging goes (the log file), never straight to the
    terminal from a process without logging set up."""

    def emit(self, record: logging.LogRecord) -> None:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


@contextlib.contextmanager
def worker_logs(context: Any) -> Iterator[Any]:
    """A queue the workers of ``context`` log into, its records handed to this process's
    loggers while the block runs."""
    queue = context.Queue()
    listener = logging.handlers.QueueListener(queue, _ToParentLoggers())
    listener.start()
    try:
        yield queue
    finally:
        listener.stop()
        queue.close()


def start_worker(
    parent_pid: int,
    log_queue: Any,
    level: int = logging.WARNING,
    then: Callable[..., None] | None = None,
    *args: Any,
) -> None:
    """A worker's start (a pool's ``initializer``): end with the parent, log through it at
    ``level``, then ``then(*args)``."""
    die_with_parent(parent_pid)
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
    root.setLevel(level)
    if then is not None:
        then(*args)


class WorkerProcess:
    """One long-lived child process that runs functions for a long-lived parent (the web
    process hands it the Great Expectations runs and the figures' recomputation, which would
    otherwise hold the parent's GIL while it answers requests).

    The child is a fresh interpreter (spawn: the parent holds database connections and
    threads), started on first use, with ``initializer(*initargs)`` run once in it; it ends
    with the parent (:func:`die_with_parent`) and logs through the parent's loggers. A child
    that dies is replaced and the call it was running is run once more in the new one (a
    crash that repeats is the call's: :class:`BrokenProcessPool` is raised)."""

    def __init__(
        self,
        name: str,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.name = name
        self.initializer = initializer
        self.initargs = initargs
        self._context = multiprocessing.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None
        self._logs: contextlib.ExitStack | None = None
        self._lock = threading.Lock()
        self.starts = 0

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._logs = contextlib.ExitStack()
                queue = self._logs.enter_context(worker_logs(self._context))
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=self._context,
                    initializer=start_worker,
                    initargs=(
                        os.getpid(),
                        queue,
                        logging.getLogger().getEffectiveLevel(),
                        self.initializer,
                        *self.initargs,
                    ),
                )
                self.starts += 1
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
            logs, self._logs = self._logs, None
        pool.shutdown(wait=False, cancel_futures=True)
        if logs is not None:
            logs.close()

    def start(self, function: Callable[[], Any] | None = None) -> None:
        """Start the child now, without waiting for it, and run ``function`` in it (imports
        that its first real call would otherwise wait for)."""
        pool = self._executor()
        if function is not None:
            pool.submit(function)

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the child (both picklable); its result or its exception."""
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return pool.submit(function, *args).result()
            except BrokenProcessPool:
                self._discard(pool)
                if attempt == 2:
                    raise
                logging.getLogger(__name__).warning(
                    "the %s worker process ended; running its call again in a new one", self.name
                )
        raise AssertionError("unreachable")

    def close(self) -> None:
        """End the child (after the call it runs, if any)."""
        with self._lock:
            pool, self._pool = self._pool, None
            logs, self._logs = self._logs, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if logs is not None:
            logs.close()


def reap_descendants_at_exit() -> str | None:
    """Start (once per process) the watchdog that stops this process's descendants when it
    ends; return the tag they carry, or None where it cannot work (not Linux)."""
    if not Path("/proc/self/environ").exists():
        return None
    with _reaper_lock:
        tag = os.environ.get(TAG_VARIABLE)
        if tag and tag in _reaper:
            return tag
        tag = f"{os.getpid()}-{uuid.uuid4().hex}"
        read_end, write_end = os.pipe()  # not inheritable: only this process holds the write end
        try:
            watchdog = subprocess.Popen(
                [sys.executable, "-m", "iku.processes", tag],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
                env={k: v for k, v in os.environ.items() if k != TAG_VARIABLE},
            )
        finally:
            os.close(read_end)
        # Kept open until the process ends; the kernel closes it then, whatever the cause.
        _reaper[tag] = watchdog
        _keep_open.append(write_end)
        os.environ[TAG_VARIABLE] = tag
        return tag


def tagged_processes(tag: str) -> list[int]:
    """The pids of the processes whose environment carries ``tag`` (Linux ``/proc``)."""
    marker = f"{TAG_VARIABLE}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def stop_tagged(tag: str, grace_seconds: float = GRACE_SECONDS) -> list[int]:
    """SIGTERM every process carrying ``tag``, SIGKILL the ones still there after the grace;
    return the pids that were signalled."""
    signalled: set[int] = set()
    for _ in range(3):  # processes started while the others stopped are found again
        pids = [pid for pid in tagged_processes(tag) if pid not in signalled]
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
        signalled.update(pids)
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline and any(_exists(p) for p in pids):
            time.sleep(0.1)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    return sorted(signalled)


def _exists(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has ended; its parent reaps it


def _watchdog(tag: str) -> None:
    """Block until the entry point's pipe closes, then stop its descendants."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            if not os.read(0, 4096):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    stop_tagged(tag)


if __name__ == "__main__":
    _watchdog(sys.argv[1])
