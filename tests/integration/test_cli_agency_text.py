"""What an agency writes is shown as written by every command, never read as terminal markup.

A cell with ``[/link]`` crashed ``iku review list``, ``iku review show`` and ``iku ingest`` with
a traceback; ``[red]97,5`` was shown as ``97,5``. Each command prints the agency's text
verbatim (Rich would render the markup otherwise, and fail on a closing tag without an opening
one), exits 0, and prints no traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iku.cli import app
from tests.integration.ingest_helpers import put

runner = CliRunner()
NAME = "[bold]laporan [red]okt.csv"  # a file name cannot hold "/" (so no closing tag)
LINES = [
    "Kode OPD;Periode;Kode IKU;Realisasi;Status;Link Bukti;Keterangan",
    "DINKES;2026-10;[/link];93,10;;;",
    "DINKES;2026-10;DINKES-02;[red]97,5;;;[bold]tebal[/bold] [link=http://x]tautan",
    "DINKES;2026-10;DINKES-05;97,25;;;",
]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as their content (a narrow terminal folds cells across lines)."""
    from iku.cli import common as cli

    monkeypatch.setattr(cli.console.real, "width", 400)
    monkeypatch.setattr(cli.err.real, "width", 400)


def _flat(text: str) -> str:
    """Output without spaces, line breaks and table borders (tables fold long cells)."""
    return "".join(ch for ch in text if not ch.isspace() and not 0x2500 <= ord(ch) <= 0x257F)


@pytest.fixture
def queue(isolated_settings: Path) -> dict[str, int]:
    """DINKES's October file with markup in a code, a value, a note and its name, ingested
    and validated: the issue ids by rule."""
    assert runner.invoke(app, ["setup"]).exit_code == 0
    put(isolated_settings / "inbox" / "DINKES" / NAME, "\n".join(LINES) + "\n")
    ingest = runner.invoke(
        app,
        ["ingest", "--received-at", "2026-11-03T09:00+07:00", "--by", "uji"],
    )
    assert ingest.exit_code == 0, ingest.output
    assert "Traceback" not in ingest.output and _flat(NAME) in _flat(ingest.output)
    validate = runner.invoke(app, ["validate", "--period", "2026-10"])
    assert validate.exit_code == 0, validate.output
    listed = json.loads(runner.invoke(app, ["review", "list", "--json"]).output)
    return {issue["rule"]: issue["id"] for issue in listed}


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["review", "list"], ["[/link]", "[red]97,5"]),
        (["review", "list", "--status", "all"], ["[/link]"]),
        (["review", "show", "{unknown_indicator}"], ["[/link]", NAME]),
        (
            ["review", "show", "{not_a_number}"],
            ["'[red]97,5'", "[bold]tebal[/bold] [link=http://x]tautan"],
        ),
        (["validate", "--period", "2026-10"], []),
    ],
)
def test_agency_text_is_printed_as_written(
    queue: dict[str, int], command: list[str], shown: list[str]
) -> None:
    args = [part.format(**queue) for part in command]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for text in shown:
        assert _flat(text) in _flat(result.output), (text, result.output)


def test_an_error_quoting_a_path_is_printed_as_written(isolated_settings: Path) -> None:
    assert runner.invoke(app, ["setup"]).exit_code == 0
    result = runner.invoke(app, ["ingest", str(isolated_settings / "[/link]" / "x.csv")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "[/link]" in result.output and "tidak ada" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received-at", "besok pagi", "--by", "uji"], "bukan waktu"),
        (["--received-at", "2099-01-01T09:00+07:00", "--by", "uji"], "di masa depan"),
        (["--received-at", "2026-11-03T09:00+07:00"], "wajib disertai --by"),
        (["--by", "uji"], "hanya dipakai bersama --received-at"),
        (["--received-at", "2026-11-03T09:00", "--by", "x" * 121], "paling banyak 120"),
    ],
)
def test_a_stated_receipt_time_is_checked(
    isolated_settings: Path, args: list[str], message: str
) -> None:
    assert runner.invoke(app, ["setup"]).exit_code == 0
    result = runner.invoke(app, ["ingest", *args])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
