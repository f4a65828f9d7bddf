"""Every bad invocation of the issue (and its neighbours) is one sentence and a non-zero exit.

No output ever holds a traceback: an expected failure says what is wrong and what to do; an
unexpected one names the log file that holds its traceback. The database cases run on SQLite
and on a fresh PostgreSQL schema, through ``IKU_DATABASE_URL`` as a user would set it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from iku import migrate
from iku.catalog import load_catalog
from iku.cli import app
from iku.runtime import process_runtime, reset_process_runtime
from tests.conftest import CATALOG_DIR, POSTGRES_URL

runner = CliRunner()


def one_sentence(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output and 'File "' not in output, output
    assert lines[0].startswith("Kesalahan: "), output
    return lines[0]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cli_database(
    request: pytest.FixtureRequest, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The CLI's own database (IKU_DATABASE_URL), migrated, with the catalog loaded."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    from tests import conftest

    if conftest._postgres_problem:
        pytest.skip(f"PostgreSQL unreachable: {conftest._postgres_problem}")
    schema = f"iku_cli_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    monkeypatch.setenv("IKU_DATABASE_URL", f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    reset_process_runtime()
    try:
        yield "postgresql"
    finally:
        reset_process_runtime()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def loaded_cli(cli_database: str) -> str:
    engine = process_runtime().engine
    migrate.upgrade(engine)
    load_catalog(CATALOG_DIR, engine)
    return cli_database


# (arguments, exit code, words the sentence must hold). ``{tmp}`` is the test's folder.
BAD_INVOCATIONS: list[tuple[list[str], int, str]] = [
    # unknown option values are refused, not an empty table with exit 0
    (["review", "list", "--status", "foo"], 2, "pilih salah satu dari open, accepted"),
    (["review", "list", "--agency", "XYZ"], 1, "Kode perangkat daerah 'XYZ' tidak dikenal"),
    (["validate", "--period", "2026-10", "--agency", "XYZ"], 1, "'XYZ' tidak dikenal"),
    (["review", "list", "--period", "Oktober"], 1, "tulis bulan seperti 2026-10"),
    # a period without data says so
    (["validate", "--period", "2030-01"], 1, "Tidak ada kiriman periode 2030-01"),
    # no traceback for a missing issue or an unknown revision
    (["review", "show", "999"], 1, "Isu #999 tidak ada"),
    # a decision is taken as a named account
    (["review", "accept", "999", "--by", "Ani", "--note", "cek"], 1, "Tidak ada akun 'Ani'"),
    (["db", "upgrade", "foo"], 1, "Revisi skema 'foo' tidak dikenal"),
    # --out never creates folders the user did not name
    (
        ["template", "--agency", "DINKES", "--period", "2026-10", "--out", "{tmp}/no/dir/x.xlsx"],
        1,
        "Folder {tmp}/no/dir untuk --out tidak ada",
    ),
    (["simulate", "--period", "2026-10", "--out", "{tmp}/no/dir"], 1, "{tmp}/no untuk --out"),
    (["template", "--agency", "DINKES", "--period", "2026-10", "--out", "x.txt"], 1, ".xlsx"),
    (["template", "--agency", "XYZ", "--period", "2026-10"], 1, "'XYZ' tidak dikenal"),
    # Typer's own errors, in one Indonesian sentence
    (["validate"], 2, "Opsi --period wajib diisi untuk `iku validate`"),
    (["review", "show", "abc"], 2, "Nilai 'abc' untuk ISSUE_ID tidak sah: harus bilangan bulat"),
    (["review", "list", "--foo"], 2, "Opsi --foo tidak dikenal oleh `iku review list`"),
    (["review", "list", "lagi"], 2, "Argumen 'lagi' tidak diharapkan"),
    (["render", "--period", "2026-10", "--workers", "0"], 2, "paling kecil 1"),
    (["laporan"], 2, "Perintah 'laporan' tidak dikenal oleh `iku`"),
    (["review", "accept", "1", "--by", "Ani"], 2, "Opsi --note wajib diisi"),
    # the command's own checks
    (["run", "--period", "2026-13"], 1, "tulis bulan seperti 2026-10"),
    (["remind", "--day", "besok"], 1, "Hari 'besok' bukan tanggal"),
    (["render", "--period", "2026-10"], 1, "Belum ada siklus evaluasi untuk 2026-10"),
    (["capaian", "--input", "{tmp}/tidak-ada.csv"], 1, "tidak ada"),
    (["rules", "check", "{tmp}/tidak-ada.yaml"], 1, "Berkas aturan tidak sah"),
    (["ingest", "{tmp}/tidak-ada"], 1, "tidak ada; berikan berkas atau folder"),
]


@pytest.mark.parametrize(
    ("args", "code", "words"), BAD_INVOCATIONS, ids=[" ".join(a) for a, _, _ in BAD_INVOCATIONS]
)
def test_a_bad_invocation_is_one_sentence(
    loaded_cli: str, isolated_settings: Path, args: list[str], code: int, words: str
) -> None:
    tmp = str(isolated_settings)
    result = runner.invoke(app, [a.replace("{tmp}", tmp) for a in args])
    assert result.exit_code == code, result.output
    assert words.replace("{tmp}", tmp) in one_sentence(result.output)
    assert not (isolated_settings / "no").exists()


def test_commands_need_a_migrated_database(cli_database: str) -> None:
    for args in (["review", "list"], ["validate", "--period", "2026-10"], ["catalog", "load"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert "jalankan `iku db upgrade`" in one_sentence(result.output)


def test_a_period_already_validated_says_so(loaded_cli: str, isolated_settings: Path) -> None:
    from iku.operations.ingest import ingest
    from iku.simulate import simulate

    rt = process_runtime()
    from iku.catalog import read_catalog

    simulate(
        read_catalog(CATALOG_DIR),
        rt.rules,
        period="2026-10",
        out_dir=rt.paths.inbox,
        months=1,
        agencies=["DINKES"],
        seed=3,
    )
    ingest(rt, [rt.paths.inbox])
    first = runner.invoke(app, ["validate", "--period", "2026-10"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["validate", "--period", "2026-10"])
    assert again.exit_code == 0, again.output
    assert "sudah divalidasi" in again.output and "Traceback" not in again.output


def test_an_unexpected_error_is_logged_not_shown(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database file that is not a database: nothing the user did wrong on the command line;
    the traceback goes to the log file, whose path the sentence names."""
    broken = isolated_settings / "rusak.db"
    broken.write_bytes(b"bukan basis data SQLite " * 100)
    log = isolated_settings / "log" / "kesalahan.log"
    monkeypatch.setenv("IKU_DATABASE_URL", f"sqlite:///{broken}")
    monkeypatch.setenv("IKU_LOG_FILE", str(log))
    reset_process_runtime()
    result = runner.invoke(app, ["review", "list"])
    assert result.exit_code == 1
    sentence = one_sentence(result.output)
    assert "tidak terduga" in sentence and str(log) in sentence
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "DatabaseError" in text


def test_the_default_log_file_is_under_the_state_folder(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IKU_STATE_DIR", str(isolated_settings / "keadaan"))
    reset_process_runtime()
    assert process_runtime().settings.log_path == isolated_settings / "keadaan" / "log" / "iku.log"


def test_help_is_indonesian() -> None:
    result = runner.invoke(app, ["review", "list", "--help"])
    assert result.exit_code == 0
    for words in ("Opsi", "Tampilkan bantuan", "Kode perangkat"):
        assert words in result.output
    assert "Show this message" not in result.output
