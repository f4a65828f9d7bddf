"""`iku run` and `iku remind` from the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from iku import migrate
from iku.catalog import load_catalog
from iku.cli import app
from iku.locks import busy_message, cycle_lock
from iku.runtime import process_runtime
from tests.conftest import CATALOG_DIR

runner = CliRunner()


@pytest.mark.slow
def test_a_second_run_of_a_running_period_stops_with_a_clear_message(
    prefect_harness: None,
) -> None:
    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    with cycle_lock("2026-10", engine=process_runtime().engine):
        result = runner.invoke(app, ["run", "--period", "2026-10"])
    assert result.exit_code == 1
    assert "Siklus periode 2026-10 sedang berjalan" in result.output
    assert "--wait" in result.output and "Traceback" not in result.output


def test_run_refuses_a_bad_period() -> None:
    result = runner.invoke(app, ["run", "--period", "Oktober"])
    assert result.exit_code == 1 and "tulis bulan seperti 2026-10" in result.output


def test_remind_outside_the_window_sends_nothing() -> None:
    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    result = runner.invoke(app, ["remind", "--day", "2026-11-20"])
    assert result.exit_code == 0 and "bukan hari pengingat" in result.output
    sent = runner.invoke(app, ["remind", "--day", "2026-11-04"])
    assert sent.exit_code == 0 and "Pengingat untuk 2026-10:" in sent.output


def test_render_beside_a_running_cycle_stops_with_the_same_sentence() -> None:
    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    with cycle_lock("2026-10", engine=process_runtime().engine):
        result = runner.invoke(app, ["render", "--period", "2026-10"])
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert busy_message("2026-10") in flat and "Traceback" not in result.output
