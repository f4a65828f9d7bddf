"""The foundation commands: db, catalog, rules, demo set-up; errors are one clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iku.cli import app
from tests.conftest import PROJECT_ROOT

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("db", "catalog", "rules", "setup", "demo"):
        assert command in result.output


def test_setup_migrates_and_loads(isolated_settings: Path) -> None:
    result = runner.invoke(app, ["setup"])
    assert result.exit_code == 0, result.output
    assert "agency" in result.output and "indicator" in result.output
    assert (isolated_settings / "var" / "iku.db").is_file()
    again = runner.invoke(app, ["catalog", "load"])
    assert again.exit_code == 0, again.output
    current = runner.invoke(app, ["db", "current"])
    assert "mutakhir" in current.output


def test_catalog_load_needs_a_migrated_database() -> None:
    result = runner.invoke(app, ["catalog", "load"])
    assert result.exit_code == 1
    assert "jalankan `iku db upgrade`" in result.output
    assert "Traceback" not in result.output


def test_broken_catalog_prints_file_and_line(catalog_copy: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    text = (catalog_copy / "indicators.csv").read_text(encoding="utf-8")
    header, first, *rest = text.splitlines()
    first = first.replace(",positive,", ",naik,", 1).replace(",negative,", ",naik,", 1)
    (catalog_copy / "indicators.csv").write_text("\n".join([header, first, *rest]) + "\n")
    result = runner.invoke(app, ["catalog", "load", str(catalog_copy)])
    assert result.exit_code == 1
    assert "indicators.csv:2: polarity: unknown value 'naik'" in result.output
    assert "Katalog berisi 1 masalah" in result.output
    assert "Traceback" not in result.output


def test_rules_check(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["rules", "check"])
    assert ok.exit_code == 0 and "sah" in ok.output
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        (PROJECT_ROOT / "data" / "rules.yaml").read_text().replace("floor: 0", "lantai: 0")
    )
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    assert "scoring.lantai: unknown key" in result.output


def test_db_downgrade_to_base_and_back() -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    down = runner.invoke(app, ["db", "downgrade", "base"])
    assert down.exit_code == 0 and "base (kosong)" in down.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0


def test_unreachable_database_is_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from iku.runtime import reset_process_runtime

    monkeypatch.setenv(
        "IKU_DATABASE_URL", "postgresql+psycopg2://iku:rahasia@127.0.0.1:9/iku?connect_timeout=2"
    )
    reset_process_runtime()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "tidak dapat dipakai" in result.output
    assert "rahasia" not in result.output  # the password is never printed
    assert "Traceback" not in result.output


def test_required_postgres_that_is_unreachable_fails_the_run(tmp_path: Path) -> None:
    """What `.ci/run` relies on: with IKU_REQUIRE_POSTGRES=1 an unreachable server fails."""
    env = {
        **os.environ,
        "IKU_REQUIRE_POSTGRES": "1",
        "IKU_TEST_POSTGRES_URL": "postgresql+psycopg2://postgres@127.0.0.1:9/test",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/unit/test_targets.py",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PostgreSQL is required" in result.stdout + result.stderr
    assert "passed" not in result.stdout
