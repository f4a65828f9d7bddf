"""Settings from the environment (prefix ``IKU_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
