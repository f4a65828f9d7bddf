"""Files the system writes are closed to other users: the process umask is set where the
runtime is built (``IKU_UMASK``, 027: files 0640, folders 0750)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from iku import migrate
from iku.bulletins.jobs import render_period
from iku.catalog import load_catalog
from iku.delivery.bulletins import deliver_period
from iku.runtime import process_runtime, reset_process_runtime
from tests.conftest import CATALOG_DIR
from tests.integration.bulletin_fixtures import GENERATED_AT, PERIOD, seed_period


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Start from the usual 022 (world-readable files) and restore the test run's own."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode)
        for path in [root, *root.rglob("*")]
    }


def test_outputs_outbox_and_database_are_not_world_readable(
    open_umask: None, isolated_settings: Path
) -> None:
    reset_process_runtime()
    rt = process_runtime()  # what every entry point builds first
    migrate.upgrade(rt.engine)
    load_catalog(CATALOG_DIR, rt.engine)
    seed_period(rt.engine, rt.rules)
    result = render_period(
        PERIOD,
        rt.engine,
        output_dir=rt.paths.output,
        rules=rt.rules,
        generated_at=GENERATED_AT,
        subjects=("province", "DINKES"),
    )
    assert result.ok
    assert deliver_period(PERIOD, rt.engine, settings=rt.settings).sent > 0
    written = _modes(rt.paths.output)
    assert any(name.endswith(".pdf") for name in written)
    assert any(name.endswith(".eml") for name in written)
    assert {name: mode for name, mode in written.items() if mode & 0o007} == {}
    database = isolated_settings / "var" / "iku.db"
    assert stat.S_IMODE(database.stat().st_mode) & 0o007 == 0


def test_the_umask_comes_from_settings(open_umask: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IKU_UMASK", "077")
    reset_process_runtime()
    process_runtime()
    assert os.umask(0o022) == 0o077
