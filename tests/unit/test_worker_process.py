"""The web process's long-lived worker processes (iku.processes.WorkerProcess), for real:
spawned interpreters, a child killed mid-call, the parent's logging."""

from __future__ import annotations

import logging
import operator
import os
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from iku.processes import WorkerProcess


def _die_once(marker: str) -> str:
    """Ends its process the first time (no marker yet), answers the second."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died")
        os._exit(1)
    return "answered"


def _log_warning(text: str) -> None:
    logging.getLogger("iku.test.worker").warning(text)


def _remember(value: str) -> None:
    os.environ["IKU_TEST_REMEMBERED"] = value


def _remembered() -> str | None:
    return os.environ.get("IKU_TEST_REMEMBERED")


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    process = WorkerProcess("test", _remember, ("from the initializer",))
    yield process
    process.close()


def test_calls_run_in_one_child_started_once(worker: WorkerProcess) -> None:
    pids = {worker.call(os.getpid) for _ in range(3)}
    assert len(pids) == 1 and os.getpid() not in pids
    assert worker.call(_remembered) == "from the initializer"
    assert worker.starts == 1


def test_an_exception_in_the_child_reaches_the_caller(worker: WorkerProcess) -> None:
    with pytest.raises(ZeroDivisionError):
        worker.call(operator.truediv, 1, 0)
    assert worker.call(operator.add, 2, 3) == 5  # the child goes on
    assert worker.starts == 1


def test_a_child_that_dies_is_replaced_and_the_call_run_again(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    first = worker.call(os.getpid)
    assert worker.call(_die_once, str(tmp_path / "marker")) == "answered"
    assert worker.starts == 2
    assert worker.call(os.getpid) != first


def test_a_call_that_kills_every_child_is_the_calls_fault(worker: WorkerProcess) -> None:
    with pytest.raises(BrokenProcessPool):
        worker.call(os._exit, 3)
    assert worker.starts == 2
    assert worker.call(operator.add, 1, 1) == 2  # a third child serves the next call


def test_the_childs_log_records_go_to_the_parents_loggers(
    worker: WorkerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="iku.test.worker"):
        worker.call(_log_warning, "dari proses pekerja")
        worker.close()  # the listener hands over what is queued before it stops
    assert [r.getMessage() for r in caplog.records if r.name == "iku.test.worker"] == [
        "dari proses pekerja"
    ]


def test_start_runs_the_warm_up_without_waiting(worker: WorkerProcess) -> None:
    worker.start(os.getpid)
    assert worker.starts == 1
    worker.call(os.getpid)
    assert worker.starts == 1
