"""The import contracts (pyproject ``[tool.importlinter]``) hold and catch an upward import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

PACKAGES = ("iku", "flows", "tasks", "quality")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(command), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    for package in PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward", "contract"),
    [
        # The vocabulary may not reach a stage or an entry point.
        ("iku/calendar.py", "import iku.engine.store", "The vocabulary imports no stage"),
        # A stage may not import the operations above it.
        ("iku/engine/rows.py", "import iku.operations.compute", "Entry points on top"),
        # Validation and the engine are independent.
        ("quality/frame.py", "import iku.engine.panel", "Entry points on top"),
        # Prefect stays in flows and tasks.
        ("iku/operations/compute.py", "import prefect", "Prefect only in flows and tasks"),
    ],
)
def test_an_upward_import_breaks_a_contract(
    tmp_path: Path, module: str, upward: str, contract: str
) -> None:
    root = _copy(tmp_path)
    target = root / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{upward}  # noqa\n")
    result = _lint(root)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert any(contract in line for line in broken), result.stdout
