"""The scale benchmark harness runs end to end at a tiny scale (a smoke test, not a benchmark:
nothing here asserts a duration)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import main


def test_harness_writes_the_report_at_a_tiny_scale(tmp_path: Path) -> None:
    out = tmp_path / "results"
    code = main(
        [
            "--scales",
            "3",
            "--stages",
            "ingest",
            "--cache",
            str(tmp_path / "cache"),
            "--out",
            str(out),
        ]
    )

    assert code == 0
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    (scale,) = report["scales"]
    ingest = scale["stages"]["ingest"]
    assert scale["agencies"] == 3
    assert ingest["stage"]["units"] == scale["prepared"]["inbox_files"] > 0
    assert ingest["floor"]["units"] == ingest["stage"]["units"]
    assert ingest["ratio"] is not None and ingest["stage"]["peak_rss_mib"] > 0
    table = (out / "latest.md").read_text(encoding="utf-8")
    assert "| 3 (3) | ingest |" in table and "within 1,5x of its floor" in table
    assert not (tmp_path / "cache" / "runs").exists() or not any(
        (tmp_path / "cache" / "runs").iterdir()
    )
