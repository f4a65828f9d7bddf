"""Settings from the environment (prefix ``IKU_``) and an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from iku.errors import ConfigurationError
from iku.i18n import N_, _

#: Lampung's time zone (WIB, UTC+7, no daylight saving). Every timestamp is shown in it.
TIMEZONE = ZoneInfo("Asia/Jakarta")

MSG_DATABASE_URL_REQUIRED = N_(
    "IKU_DATABASE_URL is not set, yet this process must use the production database "
    "(IKU_REQUIRE_DATABASE_URL=true, which the deployments set); set IKU_DATABASE_URL in the "
    "worker's environment or in the project's .env file, then run again."
)


class Settings(BaseSettings):
    """Where the system keeps its state. Relative paths resolve against the working directory."""

    model_config = SettingsConfigDict(
        env_prefix="IKU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means the embedded SQLite file <state_dir>/iku.db.",
    )
    require_database_url: bool = Field(
        default=False,
        description="Set where the embedded default must never be used (deployments, workers): "
        "an empty database_url then stops the process at start.",
    )
    state_dir: Path = Field(
        default=Path("var"),
        description="The system's own state: the embedded database, Prefect's home, the log.",
    )
    log_file: Path | None = Field(
        default=None,
        description="Where unexpected errors are logged with their traceback (rotating); "
        "empty: <state_dir>/log/iku.log.",
    )
    public_base_url: str = Field(
        default="",
        description="The address where the output folder is published (e.g. "
        "https://iku.lampungprov.example/out/); artifact links use it, else relative paths.",
    )
    web_base_url: str = Field(
        default="",
        description="The web application's address as people reach it (e.g. "
        "https://iku.lampungprov.example/); reminders and notices link the agency portal with it.",
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
    render_pool_min_jobs: int = Field(
        default=64,
        ge=2,
        description="Bulletins from which the render processes start; fewer render in the "
        "calling process (starting a worker costs more than a few dozen bulletins take).",
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

    # Language of what people read (web pages, CLI messages): Bahasa Indonesia by default.
    language: Literal["id", "en"] = "id"

    # The web application (`iku web`, docs/web.md).
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=1, le=65535)
    web_secure_cookies: bool = Field(
        default=False,
        description="Production behind TLS: Secure cookies (__Host- prefix) and HSTS.",
    )
    web_session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    web_session_max_hours: int = Field(default=12, ge=1, le=24 * 30)
    web_access_token_minutes: int = Field(
        default=60, ge=1, le=24 * 60, description="Bearer tokens of POST /api/v1/token."
    )
    web_signin_max_failures: int = Field(
        default=5, ge=1, le=100, description="Failures of one username before it is locked."
    )
    web_signin_max_failures_per_address: int = Field(
        default=20, ge=1, le=1000, description="Failures from one client address before a lock."
    )
    web_signin_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    web_trusted_proxies: str = Field(
        default="127.0.0.1",
        description="Addresses whose X-Forwarded-For/-Proto are believed (the reverse proxy).",
    )
    web_public_url: str = Field(
        default="", description="External base URL (https://iku.example); empty: from requests."
    )

    # Optional sign-in through an OpenID Connect provider (Keycloak and the like).
    oidc_issuer: str = Field(default="", description="Empty: OpenID Connect sign-in is off.")
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = Field(default=SecretStr(""), description="Secret.")
    oidc_username_claim: str = Field(
        default="preferred_username", description="Claim that names an existing local account."
    )
    oidc_scopes: str = "openid profile email"
    oidc_label: str = Field(default="SSO", description="The provider's name on the sign-in page.")

    # Files the system writes (bulletins, outbox, archive, logs, the SQLite file): the process
    # umask, set where the runtime is built. 027: owner read/write, group read, others nothing.
    umask: str = Field(default="027", pattern=r"^0?[0-7]{3}$", description="Octal, e.g. 027.")

    # The cycle's lock (iku/locks.py): how often a running cycle checks its PostgreSQL lock
    # connection between steps, and takes the lock again if the connection dropped.
    lock_heartbeat_seconds: float = Field(default=2.0, gt=0)

    @field_validator(
        "inbox_dir", "archive_dir", "output_dir", "catalog_dir", "rules_file", "state_dir"
    )
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value if value.is_absolute() else (Path.cwd() / value)

    @field_validator("log_file", mode="before")
    @classmethod
    def _empty_log_file(cls, value: object) -> object:
        return None if value is None or str(value).strip() == "" else value

    @model_validator(mode="after")
    def _derived(self) -> Settings:
        if self.log_file is None:
            self.log_file = self.state_dir / "log" / "iku.log"
        elif not self.log_file.is_absolute():
            self.log_file = Path.cwd() / self.log_file
        url = self.database_url.strip()
        if not url and self.require_database_url:
            # Not a ValueError: pydantic lets it through unwrapped, as one sentence.
            raise ConfigurationError(_(MSG_DATABASE_URL_REQUIRED))
        self.database_url = url or f"sqlite:///{self.state_dir / 'iku.db'}"
        return self

    @property
    def log_path(self) -> Path:
        """The log file of unexpected errors (always set after validation)."""
        assert self.log_file is not None
        return self.log_file
