"""The CLI speaks the language of the ``IKU_LANGUAGE`` setting: Bahasa Indonesia by default,
English with ``IKU_LANGUAGE=en`` (in the environment or the ``.env`` file), through the same
gettext catalogs as the web pages. Help pages, Typer's own usage errors, the commands' checks,
the operations' errors and the error boundary's sentences all follow it, and no output ever
holds a traceback. The database cases run on SQLite and on a fresh PostgreSQL schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from iku import i18n
from iku.cli import app
from iku.runtime import reset_process_runtime
from tests.integration.test_cli_errors import cli_database, loaded_cli

__all__ = ["cli_database", "loaded_cli"]  # the fixtures, shared with test_cli_errors

runner = CliRunner()

# (arguments, exit code, words in Bahasa Indonesia, the same words in English). ``{tmp}`` is
# the test's folder.
INVOCATIONS: list[tuple[list[str], int, str, str]] = [
    # help pages: the command's, the parameters' and Typer's own texts
    (["--help"], 0, "Tampilkan bantuan ini lalu keluar", "Show this message and exit"),
    (["--help"], 0, "Perintah", "Commands"),
    (["review", "list", "--help"], 0, "Kode perangkat daerah, misalnya", "The agency code, for"),
    (["review", "--help"], 0, "Antrean tinjauan pengelola data", "The data stewards' review"),
    (["users", "add", "--help"], 0, "Baca kata sandi dari masukan", "Read the password from"),
    (["web", "--help"], 0, "Jalankan aplikasi web dengan uvicorn", "Serve the web application"),
    (["db"], 0, "Skema basis data (migrasi Alembic)", "The database schema (Alembic"),
    # Typer's usage errors, as one sentence
    (["laporan"], 2, "Perintah 'laporan' tidak dikenal oleh `iku`", "The command 'laporan' is"),
    (["review", "list", "--status", "foo"], 2, "pilih salah satu dari open", "choose one of open"),
    (["review", "show", "abc"], 2, "harus bilangan bulat", "must be a whole number"),
    (["validate"], 2, "Opsi --period wajib diisi", "The option --period is required"),
    (["review", "list", "--foo"], 2, "Opsi --foo tidak dikenal", "The option --foo is unknown"),
    (["review", "list", "lagi"], 2, "Argumen 'lagi' tidak diharapkan", "The argument 'lagi' is"),
    (["render", "--period", "2026-10", "--workers", "0"], 2, "paling kecil 1", "at least 1"),
    (["remind", "--day", "besok"], 1, "Hari 'besok' bukan tanggal", "The day 'besok' is not"),
]
# The same, for commands that work on the database.
DATABASE_INVOCATIONS: list[tuple[list[str], int, str, str]] = [
    # the commands' own checks and the operations' errors
    (["review", "show", "999"], 1, "Isu #999 tidak ada", "Issue #999 does not exist"),
    (["review", "list", "--agency", "XYZ"], 1, "'XYZ' tidak dikenal", "'XYZ' is unknown"),
    (["review", "list", "--period", "Oktober"], 1, "tulis bulan seperti", "write a month like"),
    (["db", "upgrade", "foo"], 1, "Revisi skema 'foo' tidak dikenal", "The schema revision"),
    (["ingest", "{tmp}/tidak-ada"], 1, "tidak ada; berikan berkas", "does not exist; give the"),
    (["review", "accept", "9", "--by", "Ani", "--note", "x"], 1, "Tidak ada akun", "no account"),
    (
        ["template", "--agency", "DINKES", "--period", "2026-10", "--out", "{tmp}/no/x.xlsx"],
        1,
        "Folder {tmp}/no untuk --out tidak ada",
        "The folder {tmp}/no for --out does not exist",
    ),
    # what goes well
    (["db", "current"], 0, "mutakhir", "up to date"),
    (["catalog", "check"], 0, "Katalog sah", "The catalog is valid"),
    (["rules", "check"], 0, "Aturan versi", "Rules version"),
    (["review", "list"], 0, "0 isu", "0 issues"),
    (["users", "list"], 0, "0 akun", "0 account(s)"),
]


@pytest.fixture(autouse=True)
def no_language_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the developer's shell says, the default is what these tests check."""
    monkeypatch.delenv("IKU_LANGUAGE", raising=False)


def _text(output: str) -> str:
    """The words of an output, whatever Rich's boxes and line breaks."""
    return " ".join(output.replace("│", " ").split())


def _check(output: str, code: int) -> None:
    assert "Traceback" not in output and 'File "' not in output, output
    if code:  # a failure is one sentence
        assert len([line for line in output.splitlines() if line.strip()]) == 1, output


def _both_languages(tmp: Path, args: list[str], code: int, indonesian: str, english: str) -> None:
    arguments = [a.replace("{tmp}", str(tmp)) for a in args]
    indonesian, english = (words.replace("{tmp}", str(tmp)) for words in (indonesian, english))
    default = runner.invoke(app, arguments)
    assert default.exit_code == code, default.output
    _check(default.output, code)
    assert indonesian in _text(default.output), default.output
    assert not code or default.output.startswith("Kesalahan: "), default.output

    reset_process_runtime()
    chosen = runner.invoke(app, arguments, env={"IKU_LANGUAGE": "en"})
    assert chosen.exit_code == code, chosen.output
    _check(chosen.output, code)
    assert english in _text(chosen.output), chosen.output
    assert not code or chosen.output.startswith("Error: "), chosen.output
    assert indonesian not in _text(chosen.output), chosen.output


@pytest.mark.parametrize(
    ("args", "code", "indonesian", "english"),
    INVOCATIONS,
    ids=[" ".join(a) for a, *_ in INVOCATIONS],
)
def test_help_and_usage_errors_follow_the_setting(
    isolated_settings: Path, args: list[str], code: int, indonesian: str, english: str
) -> None:
    _both_languages(isolated_settings, args, code, indonesian, english)


@pytest.mark.parametrize(
    ("args", "code", "indonesian", "english"),
    DATABASE_INVOCATIONS,
    ids=[" ".join(a) for a, *_ in DATABASE_INVOCATIONS],
)
def test_commands_and_their_errors_follow_the_setting(
    loaded_cli: str,
    isolated_settings: Path,
    args: list[str],
    code: int,
    indonesian: str,
    english: str,
) -> None:
    _both_languages(isolated_settings, args, code, indonesian, english)


def test_the_language_comes_from_the_env_file_too(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(isolated_settings)
    (isolated_settings / ".env").write_text("# the project's settings\nIKU_LANGUAGE=en\n")
    result = runner.invoke(app, ["laporan"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: The command 'laporan' is unknown"), result.output


@pytest.mark.parametrize(("language", "words"), [("id", "tidak terduga"), ("en", "unexpected")])
def test_an_unexpected_error_is_one_sentence_in_either_language(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, language: str, words: str
) -> None:
    broken = isolated_settings / "rusak.db"
    broken.write_bytes(b"bukan basis data SQLite " * 100)
    monkeypatch.setenv("IKU_DATABASE_URL", f"sqlite:///{broken}")
    monkeypatch.setenv("IKU_LOG_FILE", str(isolated_settings / "iku.log"))
    monkeypatch.setenv("IKU_LANGUAGE", language)
    reset_process_runtime()
    result = runner.invoke(app, ["review", "list"])
    assert result.exit_code == 1
    _check(result.output, 1)
    assert words in result.output and str(isolated_settings / "iku.log") in result.output


def test_an_unknown_language_setting_is_one_sentence(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings refuse a language the catalogs do not have; the sentence is Indonesian."""
    monkeypatch.setenv("IKU_LANGUAGE", "fr")
    reset_process_runtime()
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 1
    _check(result.output, 1)
    assert result.output.startswith("Kesalahan: Pengaturan IKU_LANGUAGE tidak sah")


def test_an_invocation_leaves_the_process_language_as_it_was(isolated_settings: Path) -> None:
    runner.invoke(app, ["--help"], env={"IKU_LANGUAGE": "en"})
    assert i18n.current_language() == "id"
    assert i18n.gettext("Aborted.") == "Dibatalkan."


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("id", "Siklus periode 2026-10 sedang berjalan"),
        ("en", "The cycle of period 2026-10 is running"),
    ],
)
def test_a_process_speaks_the_language_its_runtime_was_built_with(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, language: str, sentence: str
) -> None:
    """A flow run or a worker builds its runtime from the environment: the messages it raises
    (here the lock's) are in the setting's language."""
    from iku.locks import busy_message
    from iku.runtime import Runtime

    monkeypatch.setenv("IKU_LANGUAGE", language)
    with i18n.process_language(None):
        Runtime.from_environment()
        assert i18n.current_language() == language
        assert busy_message("2026-10").startswith(sentence)
    assert i18n.current_language() == "id"
