"""A deployment started without its database setting stops at start with one sentence.

The worker's flow-run process loads the deployment's entrypoint with Prefect's own loader
(``load_flow_from_entrypoint(..., use_placeholder_flow=False)``, as ``prefect.flow_engine``
does), in the project folder, with the deployment's environment
(prefect.yaml's ``job_variables.env``: ``IKU_REQUIRE_DATABASE_URL=true``). Without
``IKU_DATABASE_URL`` that load fails with the settings' sentence instead of opening an empty
SQLite file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from iku.i18n import _
from iku.settings import MSG_DATABASE_URL_REQUIRED
from tests.conftest import PROJECT_ROOT

DEPLOYMENTS = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))[
    "deployments"
]


def _load_entrypoint(
    entrypoint: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    code = (
        "from prefect.flows import load_flow_from_entrypoint\n"
        f"load_flow_from_entrypoint({entrypoint!r}, use_placeholder_flow=False)\n"
        "print('loaded')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _deployment_env(tmp_path: Path, deployment: dict[str, object]) -> dict[str, str]:
    job_env = deployment["work_pool"]["job_variables"]["env"]  # type: ignore[index]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKU_")}
    env.update({str(k): str(v) for k, v in job_env.items()})
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return env


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_a_deployment_without_a_database_url_stops_at_start(
    tmp_path: Path, deployment: dict[str, object]
) -> None:
    env = _deployment_env(tmp_path, deployment)
    assert env["IKU_REQUIRE_DATABASE_URL"] == "true" and "IKU_DATABASE_URL" not in env
    result = _load_entrypoint(str(deployment["entrypoint"]), env, PROJECT_ROOT)
    assert result.returncode != 0 and "loaded" not in result.stdout
    output = " ".join((result.stdout + result.stderr).split())
    assert _(MSG_DATABASE_URL_REQUIRED) in output  # Bahasa Indonesia: no IKU_LANGUAGE set


def test_with_the_database_url_the_entrypoint_loads(tmp_path: Path) -> None:
    monthly = next(d for d in DEPLOYMENTS if d["name"] == "monthly-evaluation")
    env = _deployment_env(tmp_path, monthly)
    env["IKU_DATABASE_URL"] = f"sqlite:///{tmp_path / 'iku.db'}"
    result = _load_entrypoint(str(monthly["entrypoint"]), env, PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loaded" in result.stdout
