"""Settings from the environment (prefix ``IKU_``) and an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Lampung's time zone (WIB, UTC+7, no daylight saving). Every timestamp is shown in it.
TIMEZONE = ZoneInfo("Asia/Jakarta")


class Settings(BaseSettings):
    """Where the system keeps its state. Relative paths resolve against the working directory."""

    model_config = SettingsConfigDict(
        env_prefix="IKU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means the embedded SQLite file var/iku.db.",
    )
    inbox_dir: Path = Path("inbox")
    archive_dir: Path = Path("var/archive")
    output_dir: Path = Path("out")
    catalog_dir: Path = Path("data/catalog")
    rules_file: Path = Path("data/rules.yaml")

    # Scale-out: how a cycle's tasks run. "thread" (default): a thread pool in the flow's
    # process; "dask": a Dask cluster (prefect-dask), the one at dask_address or a local one.
    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str = Field(default="", description="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    workers: int = Field(
        default=2, ge=1, le=256, description="Threads, render processes, or local Dask workers."
    )

    # E-mail delivery of bulletins. No host: messages are written to out/<period>/outbox/ as .eml.
    smtp_host: str = Field(default="", description="SMTP server; empty writes .eml files instead.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = Field(default="", description="SMTP login; empty: no authentication.")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="Secret: never logged.")
    smtp_starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    smtp_from: str = "Evaluasi IKU Provinsi Lampung <iku@lampungprov.example>"
    smtp_retries: int = Field(
        default=3, ge=0, le=10, description="Retries after a transient error."
    )
    smtp_backoff_seconds: float = Field(
        default=1.0, ge=0, description="First retry delay; doubles."
    )
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)

    # Files the system writes (bulletins, outbox, archive, logs, the SQLite file): the process
    # umask, set where the runtime is built. 027: owner read/write, group read, others nothing.
    umask: str = Field(default="027", pattern=r"^0?[0-7]{3}$", description="Octal, e.g. 027.")

    # The cycle's lock (iku/locks.py): how often a running cycle checks its PostgreSQL lock
    # connection between steps, and takes the lock again if the connection dropped.
    lock_heartbeat_seconds: float = Field(default=2.0, gt=0)

    @field_validator("inbox_dir", "archive_dir", "output_dir", "catalog_dir", "rules_file")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value if value.is_absolute() else (Path.cwd() / value)

    @field_validator("database_url")
    @classmethod
    def _default_sqlite(cls, value: str) -> str:
        if value.strip():
            return value.strip()
        return f"sqlite:///{Path.cwd() / 'var' / 'iku.db'}"
