"""Read every submitted file in a reader process with limits on memory, CPU and wall time.

A spreadsheet library that aborts (python-calamine on a cell at XFD1048576), runs away (a huge
merged range, a zip bomb whose headers lie) or is tricked into using gigabytes must stop only
the reading of *that* file. So the readers of :mod:`iku.ingest.readers` run in a separate
Python process (``python -m iku.ingest.isolation``), reused from file to file (starting one per
file would double the time of a normal inbox), which sets for each file:

- ``RLIMIT_AS``: its address space may grow by ``rules.ingest.max_read_memory_bytes`` above what
  it used before the file (a Python ``MemoryError``, or an allocator abort, ends the read);
- ``RLIMIT_CPU``: ``max_read_seconds`` of CPU time for the file (the kernel stops it);
- and the ingesting process waits at most ``max_read_seconds`` of wall time, then kills it.

A reader process that died is replaced before the next file. The file is rejected with an
Indonesian reason (``file_too_complex`` for a limit, ``file_unreadable`` for a crash); the scan
goes on. Results come back as JSON (never pickle: a reader that a hostile file subverted cannot
make the ingesting process run code). The reader also checks that the archived copy it reads
still has the sha256 it is filed under.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import IO, Any, Final

from iku.ingest import table as t
from iku.ingest.readers import ReadLimits
from iku.ingest.rejections import FILE_TOO_COMPLEX, FILE_UNREADABLE, Rejected

log = logging.getLogger("iku.ingest")

_HEADER = struct.Struct(">I")
#: A reader's answer larger than this is not a table of 5.000 rows: refused, never buffered.
_MAX_ANSWER_BYTES: Final = 256 * 1024 * 1024


@dataclass(frozen=True)
class ReaderLimits:
    """What reading one file may take (from ``rules.ingest``)."""

    read: ReadLimits
    max_seconds: float
    max_memory_bytes: int
    max_file_bytes: int

    @classmethod
    def of(cls, ingest: Any) -> ReaderLimits:
        return cls(
            read=ReadLimits.of(ingest),
            max_seconds=float(ingest.max_read_seconds),
            max_memory_bytes=int(ingest.max_read_memory_bytes),
            max_file_bytes=int(ingest.max_file_bytes),
        )


class ArchiveCorrupted(Exception):
    """The archived copy no longer has the sha256 it is filed under."""


# --- values across the process boundary --------------------------------------------------------


def _encode_value(value: object) -> object:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, t.PercentCell):
        return {"$": "pct", "v": value.stored}
    if isinstance(value, int | float):
        return value
    if isinstance(value, t.FormulaCell):
        return {"$": "formula", "v": value.formula}
    if isinstance(value, datetime):
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, dtime):
        return {"$": "time", "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$": "timedelta", "v": value.total_seconds()}
    return str(value)


def _decode_value(value: Any) -> object:
    if not isinstance(value, dict):
        return value
    kind, payload = value.get("$"), value.get("v", "")
    if kind == "pct":
        return t.PercentCell(float(payload))
    if kind == "formula":
        return t.FormulaCell(str(payload))
    if kind == "datetime":
        return datetime.fromisoformat(payload)
    if kind == "date":
        return date.fromisoformat(payload)
    if kind == "time":
        return dtime.fromisoformat(payload)
    if kind == "timedelta":
        return timedelta(seconds=float(payload))
    return str(value)


_ROW_VALUES: Final = ("value", "state", "agency", "period", "unit", "evidence", "note")


def encode_table(table: t.RawTable) -> dict[str, Any]:
    """A :class:`RawTable` as JSON-able data."""
    return {
        "reader": table.reader,
        "rows": [
            {
                "source_row": r.source_row,
                "indicator_code": r.indicator_code,
                **{name: _encode_value(getattr(r, name)) for name in _ROW_VALUES},
                "hold": r.hold,
                "last_row": r.last_row,
            }
            for r in table.rows
        ],
        "agencies": [[n, _encode_value(v)] for n, v in table.agencies],
        "periods": [[n, _encode_value(v)] for n, v in table.periods],
        "header_row": table.header_row,
        "columns": table.columns,
        "skipped": [list(item) for item in table.skipped],
        "notes": table.notes,
        "sheet": table.sheet,
    }


def decode_table(data: dict[str, Any]) -> t.RawTable:
    """The :class:`RawTable` back from :func:`encode_table`."""
    return t.RawTable(
        reader=str(data["reader"]),
        rows=[
            t.RawRow(
                source_row=int(r["source_row"]),
                indicator_code=str(r["indicator_code"]),
                **{name: _decode_value(r[name]) for name in _ROW_VALUES},
                hold=r["hold"],
                last_row=r["last_row"],
            )
            for r in data["rows"]
        ],
        agencies=[(int(n), _decode_value(v)) for n, v in data["agencies"]],
        periods=[(int(n), _decode_value(v)) for n, v in data["periods"]],
        header_row=data["header_row"],
        columns={str(k): int(v) for k, v in data["columns"].items()},
        skipped=[(int(n), str(why)) for n, why in data["skipped"]],
        notes=[str(n) for n in data["notes"]],
        sheet=data["sheet"],
    )


def _send(stream: IO[bytes], message: dict[str, Any]) -> None:
    payload = json.dumps(message, ensure_ascii=False).encode("utf-8")
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


# --- the reader process ------------------------------------------------------------------------


def read_file(path: Path, file_format: str, sha256: str, limits: ReadLimits) -> t.RawTable:
    """Read one archived file (in the reader process): check its hash, then parse it."""
    from iku.ingest.readers import read_csv, read_json, read_xlsx

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        data = handle.read()
    digest.update(data)
    if digest.hexdigest() != sha256:
        raise ArchiveCorrupted(digest.hexdigest())
    if file_format == "xlsx":
        del data
        return read_xlsx(path, limits)
    if file_format == "csv":
        return read_csv(data, limits)
    return read_json(data, limits)


def _address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), or None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve(job: dict[str, Any]) -> dict[str, Any]:
    """Read one file under its limits; the answer says what became of it."""
    import resource

    limits = ReadLimits(**job["read"])
    memory = int(job["memory"])
    previous_as = resource.getrlimit(resource.RLIMIT_AS)
    previous_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    used = _address_space()
    if used is not None:
        resource.setrlimit(resource.RLIMIT_AS, (used + memory, previous_as[1]))
    cpu_until = int(_cpu_seconds() + float(job["seconds"])) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_until, previous_cpu[1]))
    try:
        table = read_file(Path(job["path"]), job["format"], job["sha256"], limits)
        return {"table": encode_table(table)}
    except Rejected as rejection:
        return {"rejected": [rejection.rule, rejection.reason]}
    except ArchiveCorrupted as corrupted:
        return {"corrupted": str(corrupted)}
    except MemoryError:
        return {"limit": "memory"}
    except RecursionError:
        return {"rejected": [FILE_UNREADABLE, "struktur berkas bersarang terlalu dalam."]}
    except Exception as exc:  # a reader's bug or a library's surprise: reported, never fatal
        import traceback

        return {"error": f"{type(exc).__name__}: {exc}"[:500], "trace": traceback.format_exc()}
    finally:
        resource.setrlimit(resource.RLIMIT_AS, previous_as)
        resource.setrlimit(resource.RLIMIT_CPU, previous_cpu)


def worker_main() -> None:
    """The reader process: one job per length-prefixed JSON message on stdin, one answer on
    stdout; it ends when stdin closes (the ingesting process ended)."""
    import csv

    # Over-long fields become held rows (bounded by policy), not a CSV error.
    csv.field_size_limit(2**31 - 1)
    # Import the readers' libraries once, before any file: their memory is the baseline.
    import openpyxl  # noqa: F401
    import python_calamine  # noqa: F401

    from iku.ingest import readers  # noqa: F401

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Nothing a library prints may corrupt the answers.
    sys.stdout = sys.stderr
    _send(stdout, {"ready": True})
    while True:
        head = stdin.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(head)
        job = json.loads(stdin.read(size))
        _send(stdout, _serve(job))


# --- the ingesting side ------------------------------------------------------------------------


def _reader_environment() -> dict[str, str]:
    """The reader's environment: the ingesting process's, without the application's settings
    (database URL, SMTP password) and Prefect's: a reader has no use for them, and a file that
    subverted a reader must find no secret there."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("IKU_", "PREFECT_", "DATABASE_", "PG"))
    }


class _Worker:
    """One reader process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "iku.ingest.isolation"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env=_reader_environment(),
        )
        ready = self._answer(time.monotonic() + 120)
        if not isinstance(ready, dict) or not ready.get("ready"):
            self.kill()
            raise RuntimeError("the reader process did not start")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def _read_exactly(self, size: int, deadline: float) -> bytes | None:
        stream = self.process.stdout
        assert stream is not None
        chunks: list[bytes] = []
        remaining = size
        fd = stream.fileno()
        while remaining:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                return None  # the process died
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _answer(self, deadline: float) -> dict[str, Any] | None:
        head = self._read_exactly(_HEADER.size, deadline)
        if head is None:
            return None
        (size,) = _HEADER.unpack(head)
        if size > _MAX_ANSWER_BYTES:
            raise OverflowError(size)
        payload = self._read_exactly(size, deadline)
        if payload is None:
            return None
        answer: dict[str, Any] = json.loads(payload)
        return answer

    def ask(self, job: dict[str, Any], seconds: float) -> dict[str, Any] | None:
        """Send a job; the answer, or None if the process died. Raises TimeoutError."""
        stdin = self.process.stdin
        assert stdin is not None
        try:
            _send(stdin, job)
        except (BrokenPipeError, OSError):
            return None
        return self._answer(time.monotonic() + seconds)


def _death(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"sinyal {-returncode}"
    return f"kode keluar {returncode}"


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


class ReaderPool:
    """Reader processes shared by the threads of one ingesting process (started on demand,
    at most ``size`` at once, replaced when one dies)."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._starting = 0
        self._lock = threading.Condition()
        weakref.finalize(self, _kill_all, self._all)

    def _acquire(self) -> _Worker:
        with self._lock:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    self._forget(worker)
                if len(self._all) + self._starting < self.size:
                    self._starting += 1
                    break
                self._lock.wait()
        try:
            worker = _Worker()
        finally:
            with self._lock:
                self._starting -= 1
                self._lock.notify()
        with self._lock:
            self._all.append(worker)
        return worker

    def warm(self) -> None:
        """Start the reader processes not started yet, up to ``size``, and keep them idle:
        files read at the same moment then do not each wait for a process to start (a web
        process calls this in a thread of its own at its first submission)."""
        while True:
            with self._lock:
                if len(self._all) + self._starting >= self.size:
                    return
                self._starting += 1
            try:
                worker = _Worker()
            except Exception:
                log.exception("a reader process could not be started ahead; it starts on demand")
                return
            finally:
                with self._lock:
                    self._starting -= 1
                    self._lock.notify()
            with self._lock:
                self._all.append(worker)
                self._idle.append(worker)
                self._lock.notify()

    def _forget(self, worker: _Worker) -> None:
        worker.kill()
        if worker in self._all:
            self._all.remove(worker)

    def _release(self, worker: _Worker, healthy: bool) -> None:
        with self._lock:
            if healthy and worker.alive:
                self._idle.append(worker)
            else:
                self._forget(worker)
            self._lock.notify()

    def read(self, path: Path, file_format: str, sha256: str, limits: ReaderLimits) -> t.RawTable:
        """The file's table; raises :class:`Rejected` (with the reason a limit or a crash
        gives) or :class:`ArchiveCorrupted`. A reader that dies is retried once in a fresh
        process (a crash that repeats is the file's)."""
        job = {
            "path": str(path),
            "format": file_format,
            "sha256": sha256,
            "read": asdict(limits.read),
            "memory": limits.max_memory_bytes,
            "seconds": limits.max_seconds,
        }
        too_slow = Rejected(
            FILE_TOO_COMPLEX,
            f"pembacaan berkas melewati batas waktu {_seconds(limits.max_seconds)} detik.",
        )
        died = ""
        for attempt in (1, 2):
            worker = self._acquire()
            healthy = False
            try:
                answer = worker.ask(job, limits.max_seconds)
            except TimeoutError:
                log.warning("%s: reading took over %ss; reader stopped", path, limits.max_seconds)
                raise too_slow from None
            except OverflowError:
                raise Rejected(
                    FILE_TOO_COMPLEX, "hasil pembacaan berkas melampaui batas ukuran."
                ) from None
            else:
                if answer is not None:
                    healthy = "limit" not in answer
                    return _outcome(path, answer, limits)
            finally:
                self._release(worker, healthy)
            died = _death(worker.process.returncode)
            log.warning("%s: the reader process ended (%s), attempt %d", path, died, attempt)
            if died == "SIGXCPU":
                raise too_slow
        raise Rejected(
            FILE_UNREADABLE,
            f"pembaca berkas berhenti tidak wajar ({died}) saat membuka berkas ini, dua kali; "
            "berkas rusak atau terlalu berat (mis. sel jauh di luar tabel).",
        )

    def close(self) -> None:
        """End every reader process (they also end by themselves when this process ends)."""
        with self._lock:
            _kill_all(self._all)
            self._idle.clear()


def _kill_all(workers: list[_Worker]) -> None:
    for worker in list(workers):
        worker.kill()
    workers.clear()


def _outcome(path: Path, answer: dict[str, Any], limits: ReaderLimits) -> t.RawTable:
    if "table" in answer:
        return decode_table(answer["table"])
    if "rejected" in answer:
        rule, reason = answer["rejected"]
        raise Rejected(str(rule), str(reason))
    if "corrupted" in answer:
        raise ArchiveCorrupted(str(answer["corrupted"]))
    if answer.get("limit") == "memory":
        mib = limits.max_memory_bytes // (1024 * 1024)
        raise Rejected(
            FILE_TOO_COMPLEX,
            f"pembacaan berkas memerlukan memori melebihi batas {mib} MiB.",
        )
    log.error("%s: the reader failed (%s); rejected", path, answer.get("error"))
    log.debug("reader traceback for %s:\n%s", path, answer.get("trace", ""))
    raise Rejected(
        FILE_UNREADABLE,
        "isi berkas tidak dapat dipahami; simpan ulang dari Excel atau gunakan templat resmi.",
    )


if __name__ == "__main__":
    worker_main()
