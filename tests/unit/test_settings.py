"""Settings: relative defaults resolve against the working directory; environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from iku.settings import Settings


def test_relative_defaults_resolve_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "INBOX_DIR", "ARCHIVE_DIR", "OUTPUT_DIR", "CATALOG_DIR"):
        monkeypatch.delenv(f"IKU_{name}", raising=False)
    monkeypatch.delenv("IKU_RULES_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'iku.db'}"
    assert settings.inbox_dir == tmp_path / "inbox"
    assert settings.archive_dir == tmp_path / "var" / "archive"
    assert settings.output_dir == tmp_path / "out"
    assert settings.catalog_dir == tmp_path / "data" / "catalog"
    assert settings.rules_file == tmp_path / "data" / "rules.yaml"


def test_environment_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IKU_OUTPUT_DIR", raising=False)
    monkeypatch.setenv("IKU_INBOX_DIR", "/srv/iku/inbox")
    (tmp_path / ".env").write_text("IKU_OUTPUT_DIR=laporan\n", encoding="utf-8")
    settings = Settings()
    assert settings.inbox_dir == Path("/srv/iku/inbox")
    assert settings.output_dir == tmp_path / "laporan"


def test_env_example_lists_every_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for field in Settings.model_fields:
        assert f"IKU_{field.upper()}=" in example, field
