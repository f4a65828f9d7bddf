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
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Final

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
