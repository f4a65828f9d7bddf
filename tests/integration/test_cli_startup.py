"""What the quick commands import (not a timing: benchmarks/bench_startup.py measures the time).

``iku --help`` must load Typer and Rich only; ``iku review list`` the database layer, never the
libraries of validation, computation, rendering or orchestration. Checked in a fresh interpreter
with ``python -X importtime``, which names every module a process imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from iku import migrate
from iku.catalog import load_catalog
from iku.runtime import process_runtime
from tests.conftest import CATALOG_DIR

#: Never imported by ``iku --help``.
HEAVY = (
    "pandas",
    "numpy",
    "great_expectations",
    "prefect",
    "prefect_dask",
    "typst",
    "matplotlib",
    "openpyxl",
    "babel",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "yaml",
)
#: Never imported by ``iku review list`` (it needs SQLAlchemy, pydantic and the rules file).
HEAVY_FOR_LISTING = (
    "pandas",
    "numpy",
    "great_expectations",
    "prefect",
    "prefect_dask",
    "typst",
    "matplotlib",
    "openpyxl",
)


def imported_packages(args: list[str], cwd: Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "iku.cli", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "iku" in names, result.stderr[-2000:]
    return names


def test_help_imports_no_heavy_library(isolated_settings: Path) -> None:
    loaded = imported_packages(["--help"], isolated_settings)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("args", [["review", "--help"], ["review", "list", "--help"]])
def test_help_of_a_group_or_command_is_as_light(isolated_settings: Path, args: list[str]) -> None:
    # Typer itself checks option values with pydantic when it builds a command's parser.
    heavy = set(HEAVY) - {"pydantic"}
    loaded = imported_packages(args, isolated_settings)
    assert not loaded & heavy, sorted(loaded & heavy)


def test_review_list_needs_only_the_database_layer(isolated_settings: Path) -> None:
    engine = process_runtime().engine
    migrate.upgrade(engine)
    load_catalog(CATALOG_DIR, engine)
    loaded = imported_packages(["review", "list"], isolated_settings)
    assert "sqlalchemy" in loaded
    assert not loaded & set(HEAVY_FOR_LISTING), sorted(loaded & set(HEAVY_FOR_LISTING))
