"""The runtime of one process: settings, database engine, rules and folders.

A process builds its :class:`Runtime` once where it starts (the CLI's callback, a flow's entry,
a Prefect task entering a Dask worker, the web application's start-up) and passes it down;
nothing below the entry points looks settings, engine or rules up by itself. The engine and the
rules are created on first use, so a command that needs neither (``iku --help``, ``iku rules
check FILE``) never opens a database or reads the rules file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from iku.i18n import set_default_language
from iku.rules import Rules, load_rules
from iku.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Paths:
    """The folders and files a process works with (absolute)."""

    inbox: Path
    archive: Path
    output: Path
    catalog: Path
    rules_file: Path

    @classmethod
    def of(cls, settings: Settings) -> Paths:
        s = settings
        return cls(s.inbox_dir, s.archive_dir, s.output_dir, s.catalog_dir, s.rules_file)

    def period_dir(self, period: str) -> Path:
        """Where a period's bulletins, review page and outbox go."""
        return self.output / period


class Runtime:
    """Settings, engine, rules and paths of one process, built once and passed down."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        rules: Rules | None = None,
    ) -> None:
        self.settings = settings
        self.paths = Paths.of(settings)
        self._engine = engine
        self._rules = rules
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> Runtime:
        """The runtime the environment (``IKU_*`` variables, ``.env``) describes. Building it
        is where a process starts, so it also sets the process umask (``IKU_UMASK``, 027 by
        default): every file and folder the process writes is closed to other users; and the
        process's language (``IKU_LANGUAGE``): the messages a CLI command, a flow run or a worker
        raises are in it (a web request's own choice still wins, see :mod:`iku.i18n`)."""
        settings = Settings()
        restrict_new_files(settings)
        set_default_language(settings.language)
        return cls(settings)

    @property
    def engine(self) -> Engine:
        """The database engine (created on first use)."""
        return self._engine or self._once("_engine", self._make_engine)

    @property
    def rules(self) -> Rules:
        """The rules in force (read on first use; :meth:`reload_rules` reads them again)."""
        return self._rules or self._once("_rules", lambda: load_rules(self.settings.rules_file))

    def _make_engine(self) -> Engine:
        from iku.db import make_engine  # SQLAlchemy's engine only for commands that need it

        return make_engine(self.settings.database_url)

    def _once(self, attribute: str, build: Callable[[], T]) -> T:
        """The attribute, built under the lock by the first thread that needs it."""
        with self._lock:
            value: T | None = getattr(self, attribute)
            if value is None:
                value = build()
                setattr(self, attribute, value)
            return value

    def reload_rules(self) -> Rules:
        """Read the rules file again (a long-running process after the bureau changed it)."""
        with self._lock:
            self._rules = load_rules(self.settings.rules_file)
        return self._rules

    def with_rules(self, rules: Rules) -> Runtime:
        """The same process state with other rules (tests, what-if computations)."""
        return Runtime(self.settings, engine=self._engine, rules=rules)

    def dispose(self) -> None:
        """Close the engine's pooled connections (at process end, or before forking)."""
        if self._engine is not None:
            self._engine.dispose()


def restrict_new_files(settings: Settings) -> None:
    """Set the process umask from settings: files 0640 and folders 0750 with the default."""
    os.umask(int(settings.umask, 8))


@dataclass(frozen=True)
class _Holder:
    runtime: Runtime


_process: dict[str, _Holder] = {}
_process_lock = threading.Lock()


def process_runtime() -> Runtime:
    """The runtime of a process that was entered without one being handed over: a Prefect
    task running on a Dask worker, a deployment's flow run. Built from the environment once per
    process. Only entry points call this; everything else receives a :class:`Runtime`."""
    with _process_lock:
        holder = _process.get("runtime")
        if holder is None:
            holder = _process["runtime"] = _Holder(Runtime.from_environment())
        return holder.runtime


def use_process_runtime(runtime: Runtime) -> None:
    """Make ``runtime`` the process runtime: an entry point that built its own (the CLI, the
    web application) hands it to the flows and tasks that run in the same process."""
    with _process_lock:
        _process["runtime"] = _Holder(runtime)


def reset_process_runtime() -> None:
    """Forget the process runtime (tests that change the environment between cases)."""
    with _process_lock:
        holder = _process.pop("runtime", None)
    if holder is not None:
        holder.runtime.dispose()
