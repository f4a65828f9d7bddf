"""Prefect's start-up defaults: set once (flows/environment.py), never over a user's choice,
and carried by every deployment and the worker's unit file."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.environment import PREFECT_DEFAULTS, apply_prefect_defaults
from tests.conftest import PROJECT_ROOT


def test_defaults_on_a_fresh_machine(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    state = tmp_path / "var"  # does not exist yet: Prefect could not open its database there
    applied = apply_prefect_defaults(state, working_dir=tmp_path, environ=environ)
    assert environ["PREFECT_HOME"] == str(state / "prefect") and (state / "prefect").is_dir()
    assert int(environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]) >= 180
    assert environ["DO_NOT_TRACK"] == "1"
    assert environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "WARNING"
    assert applied == environ


def test_what_a_user_set_is_kept(tmp_path: Path) -> None:
    home = tmp_path / "prefect-saya"
    environ = {"PREFECT_HOME": str(home), "DO_NOT_TRACK": "0"}
    # .env in the working directory, prefect.toml, and the active profile count as set too
    (tmp_path / ".env").write_text("PREFECT_SERVER_ANALYTICS_ENABLED=true\n", encoding="utf-8")
    (tmp_path / "prefect.toml").write_text(
        "[server.ephemeral]\nstartup_timeout_seconds = 600\n", encoding="utf-8"
    )
    home.mkdir()
    (home / "profiles.toml").write_text(
        'active = "kantor"\n[profiles.kantor]\nPREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL = "INFO"\n',
        encoding="utf-8",
    )
    applied = apply_prefect_defaults(tmp_path / "var", working_dir=tmp_path, environ=environ)
    assert applied == {}
    assert environ == {"PREFECT_HOME": str(home), "DO_NOT_TRACK": "0"}


def test_a_prefect_home_chosen_in_dotenv_is_created(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PREFECT_HOME=keadaan/prefect\n", encoding="utf-8")
    environ: dict[str, str] = {}
    applied = apply_prefect_defaults(tmp_path / "var", working_dir=tmp_path, environ=environ)
    assert "PREFECT_HOME" not in applied and (tmp_path / "keadaan" / "prefect").is_dir()


def test_every_deployment_carries_the_defaults_and_the_database_guard() -> None:
    data = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for deployment in data["deployments"]:
        env = deployment["work_pool"]["job_variables"]["env"]
        assert env["IKU_REQUIRE_DATABASE_URL"] == "true", deployment["name"]
        for key, value in PREFECT_DEFAULTS.items():
            assert env[key] == value, (deployment["name"], key)
    monthly = next(d for d in data["deployments"] if d["name"] == "monthly-evaluation")
    assert monthly["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}


def test_the_worker_unit_carries_the_defaults_and_the_database_guard() -> None:
    unit = (PROJECT_ROOT / "deploy" / "systemd" / "iku-worker.service").read_text(encoding="utf-8")
    lines = set(unit.splitlines())
    assert "Environment=IKU_REQUIRE_DATABASE_URL=true" in lines
    for key, value in PREFECT_DEFAULTS.items():
        assert f"Environment={key}={value}" in lines, key
    assert "KillSignal=SIGINT" in lines
