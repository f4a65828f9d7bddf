"""The task runner chosen by settings; the Dask runner is an optional extra."""

from __future__ import annotations

import sys

import pytest

from flows.runners import MSG_NO_DASK, make_task_runner
from iku.errors import ConfigurationError, classify
from iku.i18n import _
from iku.settings import Settings


def test_threads_by_default() -> None:
    from prefect.task_runners import ThreadPoolTaskRunner

    runner = make_task_runner(Settings(_env_file=None, workers=3))  # type: ignore[call-arg]
    assert isinstance(runner, ThreadPoolTaskRunner)


def test_dask_without_the_extra_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules is how Python marks a module as not importable: the extra is absent.
    monkeypatch.setitem(sys.modules, "prefect_dask", None)
    settings = Settings(_env_file=None, task_runner="dask")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError) as caught:
        make_task_runner(settings)
    assert classify(caught.value) == _(MSG_NO_DASK)


def test_dask_with_the_extra() -> None:
    pytest.importorskip("prefect_dask")
    from prefect_dask import DaskTaskRunner

    runner = make_task_runner(Settings(_env_file=None, task_runner="dask"))  # type: ignore[call-arg]
    assert isinstance(runner, DaskTaskRunner)
