"""How the portal's validator gathers submissions into one run (iku.operations.submissions).

No run is made here: ``_gather`` only decides which jobs wait for the same Great Expectations
run. The waits are generous (a loaded machine must not make these fail); a gather that waits
when it should not would hang until its thread's join gives up, which the tests detect.
"""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest

from iku.operations.submissions import Validator, _Job

#: Longer than any scheduling delay; a gather that waits this long is waiting on purpose.
LONG = 3600.0


def _validator(**kwargs: Any) -> Validator:
    # The runtime is only read by a run, which these tests never start.
    return Validator(cast(Any, None), (), **kwargs)


def _gather_in_thread(validator: Validator, first: _Job) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(validator._gather(first)), daemon=True)
    thread.start()
    return thread, out


def test_a_follow_up_of_a_large_run_waits_for_the_others() -> None:
    """Right after a run of three, a lone submission waits for the run's other submitters
    (their next submissions), up to as many as the last run had, then starts at once."""
    validator = _validator(follow_up=LONG, gather=LONG)
    validator._last_run = (time.monotonic(), 3)
    first = _Job("A", "2026-11")
    thread, out = _gather_in_thread(validator, first)
    time.sleep(0.2)
    assert thread.is_alive(), "a lone follow-up must wait for the last run's other submitters"
    others = [_Job("B", "2026-11"), _Job("C", "2026-11")]
    for job in others:
        validator._queue.put(job)
    thread.join(60)
    assert not thread.is_alive(), "the batch is as large as the last run: it starts"
    jobs, stopped = out[0]
    assert jobs == [first, *others]
    assert stopped is False


@pytest.mark.parametrize(
    "last_run",
    [
        pytest.param((0.0, 0), id="no-run-yet"),
        pytest.param((-LONG * 2, 20), id="last-run-long-ago"),
        pytest.param(("now", 1), id="last-run-as-small"),
    ],
)
def test_a_lone_submission_starts_without_waiting(last_run: tuple[Any, int]) -> None:
    """No follow-ups to expect: the run starts after the short linger, not after
    ``follow_up`` (which here would be an hour)."""
    validator = _validator(follow_up=LONG, gather=LONG)
    ended, size = last_run
    validator._last_run = (time.monotonic() if ended == "now" else float(ended), size)
    first = _Job("A", "2026-11")
    thread, out = _gather_in_thread(validator, first)
    thread.join(60)
    assert not thread.is_alive(), "nothing to wait for: the run must start"
    assert out[0] == ([first], False)


def test_submissions_being_taken_join_the_run() -> None:
    """A submission announced with ``expect`` (being read and stored) holds the run until it
    asks for its validation; then both go in one run."""
    validator = _validator(gather=LONG)
    arrival = validator.expect()
    first = _Job("A", "2026-11")
    thread, out = _gather_in_thread(validator, first)
    time.sleep(0.2)
    assert thread.is_alive(), "an announced submission must be waited for"
    second = _Job("B", "2026-11")
    validator._queue.put(second)
    arrival.close()
    thread.join(60)
    assert not thread.is_alive()
    assert out[0] == ([first, second], False)


def test_closing_stops_the_gather() -> None:
    validator = _validator(follow_up=LONG, gather=LONG)
    validator._last_run = (time.monotonic(), 5)
    first = _Job("A", "2026-11")
    thread, out = _gather_in_thread(validator, first)
    validator._queue.put(None)
    thread.join(60)
    assert not thread.is_alive()
    assert out[0] == ([first], True)
