"""The error boundary's classification (iku.errors), as the CLI and the web application use it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from iku.errors import EXPECTED, UserError, classify, explain


@pytest.mark.parametrize(("module", "name"), [(m, n) for m, n, _ in EXPECTED])
def test_every_expected_class_exists(module: str, name: str) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert isinstance(cls, type) and issubclass(cls, BaseException)


def test_a_user_error_is_its_sentence(tmp_path: Path) -> None:
    failure = explain(UserError("Periode kosong; pilih periode lain."), log_file=tmp_path / "x")
    assert failure.expected and failure.message == "Periode kosong; pilih periode lain."
    assert failure.log_file is None and not (tmp_path / "x").exists()


def test_known_library_failures_are_sentences(tmp_path: Path) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine("postgresql+psycopg2://iku:rahasia@127.0.0.1:9/iku?connect_timeout=1")
    with pytest.raises(sa.exc.OperationalError) as caught:
        engine.connect()
    message = classify(caught.value, database_url=str(engine.url))
    assert message is not None and "tidak dapat dipakai" in message and "rahasia" not in message
    with pytest.raises(FileNotFoundError) as missing:
        (tmp_path / "tidak-ada.csv").read_text()
    assert (
        classify(missing.value)
        == f"Berkas atau folder {tmp_path / 'tidak-ada.csv'} tidak ada; periksa jalurnya."
    )


def test_a_bad_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from iku.settings import Settings

    monkeypatch.setenv("IKU_WORKERS", "banyak")
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = classify(caught.value)
    assert message is not None and message.startswith("Pengaturan IKU_WORKERS tidak sah")


def test_an_unexpected_error_goes_to_the_rotating_log(tmp_path: Path) -> None:
    log = tmp_path / "var" / "log" / "iku.log"
    try:
        {}["tidak ada"]
    except KeyError as exc:
        failure = explain(exc, log_file=log, context="iku uji")
    assert not failure.expected and failure.log_file == log and failure.exit_code == 1
    assert str(log) in failure.message and "KeyError" in failure.message
    text = log.read_text(encoding="utf-8")
    assert "unexpected error in iku uji" in text and "Traceback (most recent call last)" in text


def test_the_database_guard_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from iku.errors import ConfigurationError
    from iku.i18n import _
    from iku.settings import MSG_DATABASE_URL_REQUIRED, Settings

    monkeypatch.delenv("IKU_DATABASE_URL", raising=False)
    monkeypatch.setenv("IKU_REQUIRE_DATABASE_URL", "true")
    with pytest.raises(ConfigurationError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert classify(caught.value) == _(MSG_DATABASE_URL_REQUIRED)
    monkeypatch.setenv("IKU_DATABASE_URL", "postgresql+psycopg2://iku@db/iku")
    assert Settings(_env_file=None).database_url.startswith("postgresql")  # type: ignore[call-arg]
