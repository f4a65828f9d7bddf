"""``iku simulate``, ``iku ingest`` (table and --json) and ``iku template`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from iku.cli import app

runner = CliRunner()


def test_simulate_ingest_template(isolated_settings: Path) -> None:
    assert runner.invoke(app, ["setup"]).exit_code == 0
    out = isolated_settings / "sim"
    simulated = runner.invoke(
        app,
        [
            "simulate",
            "--period",
            "2026-10",
            "--months",
            "2",
            "--agencies",
            "DINKES,RSUDAM",
            "--defects",
            "2",
            "--seed",
            "9",
            "--out",
            str(out),
        ],
    )
    assert simulated.exit_code == 0, simulated.output
    hidden = out / ".simulation"
    assert (hidden / "manifest.json").is_file() and (hidden / "truth.csv").is_file()
    manifest = json.loads((hidden / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["defects_planted"] == 2

    inbox = isolated_settings / "inbox"
    inbox.mkdir()
    (out / "DINKES").rename(inbox / "DINKES")
    stated = ["--received-at", "2026-11-03T09:00+07:00", "--by", "uji"]
    table = runner.invoke(app, ["ingest", *stated])  # default: the inbox
    assert table.exit_code == 0, table.output
    assert "Penerimaan" in table.output and "DINKES" in table.output
    assert not list((inbox / "DINKES").iterdir())  # processed files leave the inbox

    again = runner.invoke(app, ["ingest", str(out / "RSUDAM"), "--json", *stated])
    summary = json.loads(again.output)
    assert set(summary) >= {
        "files_seen",
        "submissions_created",
        "duplicates",
        "superseded",
        "rejected",
        "rows_staged",
    }
    assert summary["files_seen"] == 2
    assert {f["receipt_stated_by"] for f in summary["files"]} == {"uji"}
    repeat_args = ["ingest", str(out / "RSUDAM"), "--json", *stated]
    repeat = json.loads(runner.invoke(app, repeat_args).output)
    assert repeat["submissions_created"] == 0 and repeat["duplicates"] == 2

    made = runner.invoke(app, ["template", "--agency", "dinkes", "--period", "2026-10"])
    assert made.exit_code == 0, made.output
    path = isolated_settings / "out" / "templates" / "Realisasi_IKU_DINKES_2026-10.xlsx"
    sheet = openpyxl.load_workbook(path)["Realisasi"]
    codes = [sheet.cell(r, 2).value for r in range(7, sheet.max_row + 1)]
    assert codes == ["DINKES-01", "DINKES-02", "DINKES-03", "DINKES-04", "DINKES-05"]


def test_clear_errors(isolated_settings: Path) -> None:
    not_migrated = runner.invoke(app, ["ingest"])
    assert not_migrated.exit_code == 1 and "iku db upgrade" in not_migrated.output
    assert runner.invoke(app, ["setup"]).exit_code == 0
    for args, message in (
        (["ingest", str(isolated_settings / "nowhere")], "tidak ada"),
        (["ingest", "--agency", "XX", str(isolated_settings)], "tidak dikenal"),
        (["template", "--agency", "XX", "--period", "2026-10"], "tidak dikenal"),
        (["template", "--agency", "DINKES", "--period", "10-2026"], "YYYY-MM"),
        (["simulate", "--period", "2026-10", "--agencies", "XX", "--out", "x"], "XX"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and "Traceback" not in result.output


def test_a_simulation_is_loaded_with_the_receipt_times_it_states(isolated_settings: Path) -> None:
    assert runner.invoke(app, ["setup"]).exit_code == 0
    out = isolated_settings / "sim"
    simulated = runner.invoke(
        app,
        [
            "simulate",
            "--period",
            "2026-06",
            "--months",
            "2",
            "--agencies",
            "DLH",
            "--out",
            str(out),
        ],
    )
    assert simulated.exit_code == 0, simulated.output
    manifest_path = out / ".simulation" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    without_by = runner.invoke(app, ["ingest", "--manifest", str(manifest_path)])
    assert without_by.exit_code == 1 and "--by" in without_by.output
    loaded = runner.invoke(
        app, ["ingest", "--manifest", str(manifest_path), "--by", "uji", "--json"]
    )
    assert loaded.exit_code == 0, loaded.output
    summary = json.loads(loaded.output)
    # May and June 2026 would be long closed if received today; as stated, both are staged.
    assert [f["status"] for f in summary["files"]] == ["staged", "staged"]
    stated = sorted(f["received_at"] for f in manifest["files"])
    assert sorted(f["received_at"] for f in summary["files"]) == stated
    assert {f["receipt_stated_by"] for f in summary["files"]} == {"uji"}


def test_simulate_realistic_lists_what_it_did(isolated_settings: Path) -> None:
    args = ["simulate", "--period", "2026-06", "--months", "6", "--seed", "5"]
    out = isolated_settings / "real"
    clean = isolated_settings / "clean"
    assert runner.invoke(app, [*args, "--realistic", "--out", str(out)]).exit_code == 0
    assert runner.invoke(app, [*args, "--out", str(clean)]).exit_code == 0
    manifest = json.loads((out / ".simulation" / "manifest.json").read_text(encoding="utf-8"))
    plain = json.loads((clean / ".simulation" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["realistic"], plain["realistic"], plain["realism"]) == (True, False, [])
    kinds = {e["kind"] for e in manifest["realism"]}
    assert kinds >= {"mid_year_start", "missing_month", "late_submission", "unit_slip"}
    # Files never sent are missing from the realistic folder: fewer files than the clean one.
    assert len(manifest["files"]) < len(plain["files"])
    assert manifest["audit"] == []
    # Deterministic with the seed.
    again = isolated_settings / "again"
    assert runner.invoke(app, [*args, "--realistic", "--out", str(again)]).exit_code == 0
    repeated = json.loads((again / ".simulation" / "manifest.json").read_text(encoding="utf-8"))
    assert repeated["realism"] == manifest["realism"]
    assert repeated["files"] == manifest["files"]
