"""Prefect's start-up defaults, in one place, for every process that runs a flow.

A flow run in this project starts in one of two ways. ``iku run`` and ``iku demo`` start
Prefect in their own process (its ephemeral API server when no ``PREFECT_API_URL`` is set):
they call :func:`apply_prefect_defaults` before Prefect is imported, since Prefect reads its
settings once, at import. A deployment's flow run is started by a worker, with Prefect already
imported: it gets the same values from the deployment's ``job_variables.env`` in prefect.yaml
and from the worker's unit file (``deploy/systemd/``); tests/unit/test_prefect_environment.py
holds both to :data:`PREFECT_DEFAULTS`.

What the defaults do, and why:

- ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``: Prefect waits 20 s for its ephemeral
  server by default; on a loaded two-core machine the first start took longer and the demo
  died with "Timed out while attempting to connect to ephemeral Prefect API server".
- ``PREFECT_HOME``: Prefect's own state beside the system's (``<IKU_STATE_DIR>/prefect``) and
  created before Prefect starts; under a missing folder Prefect cannot open its SQLite file.
- ``DO_NOT_TRACK`` (the client's telemetry notice) and ``PREFECT_SERVER_ANALYTICS_ENABLED``
  (the server's, whose writes once failed with "database is locked"): no telemetry.
- ``PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL``: Prefect's INFO lines stay off the terminal; its
  loggers keep INFO, so flow-run logs still reach the Prefect UI.

Nothing a user set is overridden: a variable counts as set when it is in the environment, in
the working directory's ``.env`` or ``prefect.toml``, or in the active Prefect profile. This
module imports nothing of Prefect.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Final

#: Prefect settings every flow-running process gets unless the user chose otherwise.
PREFECT_DEFAULTS: Final[dict[str, str]] = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
}


def _toml_keys(table: Mapping[str, object], prefix: str) -> set[str]:
    keys: set[str] = set()
    for key, value in table.items():
        name = f"{prefix}_{key}".upper()
        if isinstance(value, Mapping):
            keys |= _toml_keys(value, name)
        else:
            keys.add(name)
    return keys


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # python-dotenv, through pydantic-settings

    return {key: value for key, value in dotenv_values(path).items() if value}


def _profile_keys(home: Path, environ: Mapping[str, str]) -> set[str]:
    profiles = Path(environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    data = _read_toml(profiles) if profiles.is_file() else {}
    active = environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    table = data.get("profiles", {})
    chosen = table.get(active, {}) if isinstance(table, Mapping) else {}
    return {str(k).upper() for k in chosen} if isinstance(chosen, Mapping) else set()


def explicit_settings(
    working_dir: Path, environ: Mapping[str, str], prefect_home: Path
) -> set[str]:
    """The Prefect (and telemetry) variables a user set: environment, ``.env``,
    ``prefect.toml``, the active profile."""
    chosen = {key for key, value in environ.items() if value != ""}
    chosen |= set(_dotenv(working_dir / ".env"))
    toml = working_dir / "prefect.toml"
    if toml.is_file():
        chosen |= _toml_keys(_read_toml(toml), "PREFECT")
    chosen |= _profile_keys(prefect_home, environ)
    return chosen


def apply_prefect_defaults(
    state_dir: Path,
    *,
    working_dir: Path | None = None,
    environ: MutableMapping[str, str] | None = None,
) -> dict[str, str]:
    """Set Prefect's defaults that the user did not set; create ``PREFECT_HOME``. Call before
    Prefect is imported. Returns what was set (for logs and tests)."""
    env: MutableMapping[str, str] = os.environ if environ is None else environ
    cwd = working_dir or Path.cwd()
    applied: dict[str, str] = {}
    chosen_home = env.get("PREFECT_HOME") or _dotenv(cwd / ".env").get("PREFECT_HOME")
    if not chosen_home:
        chosen_home = env["PREFECT_HOME"] = applied["PREFECT_HOME"] = str(state_dir / "prefect")
    home = Path(chosen_home).expanduser()
    if not home.is_absolute():
        home = cwd / home
    home.mkdir(parents=True, exist_ok=True)
    explicit = explicit_settings(cwd, env, home)
    for key, value in PREFECT_DEFAULTS.items():
        if key not in explicit:
            env[key] = applied[key] = value
    return applied
