"""The harness's report: the machine, the per-stage table, growth across scales, the targets.

Written as JSON (everything measured, for tools) and Markdown (the table the README shows) to
``benchmarks/results/<UTC timestamp>.{json,md}`` and copied to ``latest.{json,md}``. The
results folder is git-ignored: results are machine-specific; the README carries the table of
record.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

#: Issue 7's and issue 19's targets on the 2-core machine.
CYCLE_TARGET_S: Final = 25.0  # issue 19 (issue 7 had 120 s with WeasyPrint)
CYCLE_TARGET_MIB: Final = 1.5e9 / 2**20  # 1,5 GB (10^9 bytes) = 1.430,5 MiB
FLOOR_RATIO_TARGET: Final = 1.5
L_TARGET_S: Final = 60.0
L_RENDER_TARGET_S: Final = 300.0  # every bulletin of 22.000 agencies under 5 minutes
RERENDER_TARGET_S: Final = 5.0  # a rerun's render after one agency resubmits


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, Python, SQLite, OS, load: what the numbers are worth on."""
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _num(value: float | None, digits: int = 2) -> str:
    """A number the Indonesian way (1.234,56), or a dash."""
    if value is None:
        return "-"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def growth(scales: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Per stage and scale: time per unit and peak memory relative to the first scale."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    if not scales:
        return out
    base = scales[0]
    for scale in scales:
        for stage, entry in scale["stages"].items():
            ref = base["stages"].get(stage)
            if ref is None:
                continue
            per = _per_unit(entry["stage"])
            ref_per = _per_unit(ref["stage"])
            out.setdefault(stage, {})[scale["scale"]] = {
                "units_x": _ratio(entry["stage"]["units"], ref["stage"]["units"]),
                "time_x": _ratio(entry["stage"]["wall_s"], ref["stage"]["wall_s"]),
                "time_per_unit_x": _ratio(per, ref_per),
                "memory_x": _ratio(entry["stage"]["peak_rss_mib"], ref["stage"]["peak_rss_mib"]),
            }
    return out


def _per_unit(result: dict[str, Any]) -> float | None:
    return result["wall_s"] / result["units"] if result["units"] else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def targets(scales: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 7's targets, each with the measured value and PASS or MISS."""
    checks: list[dict[str, Any]] = []
    for scale in scales:
        name, stages = scale["scale"], scale["stages"]
        cycle = stages.get("cycle")
        if name == "M" and cycle is not None:
            wall, mib = cycle["stage"]["wall_s"], cycle["stage"]["peak_rss_mib"]
            checks.append(_check("M full cycle (all PDFs) < 25 s", wall, CYCLE_TARGET_S, "s"))
            checks.append(_check("M full cycle peak memory < 1,5 GB", mib, CYCLE_TARGET_MIB, "MiB"))
        if name == "L" and "validate" in stages and "compute" in stages:
            wall = stages["validate"]["stage"]["wall_s"] + stages["compute"]["stage"]["wall_s"]
            checks.append(_check("L validate + compute < 60 s", wall, L_TARGET_S, "s"))
        if name == "L" and "render" in stages:
            wall = stages["render"]["stage"]["wall_s"]
            checks.append(_check("L all bulletins < 5 min", wall, L_RENDER_TARGET_S, "s"))
        if name in ("M", "L") and "rerender" in stages:
            wall = stages["rerender"]["stage"]["wall_s"]
            checks.append(
                _check(f"{name} rerun after one resubmission < 5 s", wall, RERENDER_TARGET_S, "s")
            )
        for stage, entry in stages.items():
            if entry.get("ratio") is not None:
                checks.append(
                    _check(
                        f"{name} {stage} within 1,5x of its floor",
                        entry["ratio"],
                        FLOOR_RATIO_TARGET,
                        "x",
                    )
                )
    return checks


def _check(what: str, value: float, limit: float, unit: str) -> dict[str, Any]:
    return {
        "target": what,
        "value": round(value, 2),
        "limit": round(limit, 2),
        "unit": unit,
        "result": "PASS" if value < limit or (unit == "x" and value <= limit) else "MISS",
    }


def markdown(report: dict[str, Any]) -> str:
    """The Markdown table of a harness report."""
    mach = report["machine"]
    lines = [
        f"# Benchmarks {report['started']}",
        "",
        f"Machine: {mach['cpu']}, {mach['cores']} cores, {_num(mach['ram_gib'], 1)} GiB RAM, "
        f"{mach['os']}, Python {mach['python']}, SQLite {mach['sqlite']}; load average at start "
        f"{' / '.join(_num(x) for x in report['load_start'])}, at end "
        f"{' / '.join(_num(x) for x in report['load_end'])}. Workers: {report['workers']}. "
        f"Harness wall time: {_num(report['wall_s'], 0)} s.",
        "",
        "| Scale | Stage | Wall s | Units | Per s | Peak RSS MiB | Floor s | Ratio | "
        "Time/unit vs first scale | RSS vs first scale |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    grow = report["growth"]
    for scale in report["scales"]:
        for stage, entry in scale["stages"].items():
            res, floor = entry["stage"], entry.get("floor")
            g = grow.get(stage, {}).get(scale["scale"], {})
            lines.append(
                f"| {scale['scale']} ({scale['agencies']}) | {stage} | {_num(res['wall_s'])} | "
                f"{_num(res['units'], 0)} {res['unit']} | {_num(res['per_s'], 1)} | "
                f"{_num(res['peak_rss_mib'], 0)} | "
                f"{'-' if floor is None else _num(floor['wall_s'])} | "
                f"{'-' if entry.get('ratio') is None else _num(entry['ratio']) + 'x'} | "
                f"{_num(g.get('time_per_unit_x'))} | {_num(g.get('memory_x'))} |"
            )
            reference = entry.get("reference")
            if reference is not None and reference["units"]:
                lines.append(
                    f"| {scale['scale']} ({scale['agencies']}) | {stage}: WeasyPrint reference "
                    f"(sample, 1 process) | {_num(reference['wall_s'])} | "
                    f"{_num(reference['units'], 0)} {reference['unit']} | "
                    f"{_num(reference['per_s'], 1)} | {_num(reference['peak_rss_mib'], 0)} | "
                    "- | - | - | - |"
                )
    lines += ["", "| Target | Measured | Limit | Result |", "|---|--:|--:|---|"]
    for check in report["targets"]:
        lines.append(
            f"| {check['target']} | {_num(check['value'])} {check['unit']} | "
            f"{_num(check['limit'])} {check['unit']} | {check['result']} |"
        )
    lines += _reference_lines(report)
    lines += ["", "Prepared data (generated once, cached; not a stage):", ""]
    for scale in report["scales"]:
        info = scale["prepared"]
        lines.append(
            f"- {scale['scale']}: {_num(info['agencies'], 0)} agencies, "
            f"{_num(info['indicators'], 0)} IKU, {_num(info['history_rows'], 0)} history rows, "
            f"{_num(info['inbox_files'], 0)} inbox files, {_num(info['staged_rows'], 0)} rows "
            f"staged directly; generated in {_num(info['generation_s'], 1)} s"
            f"{' (reused)' if info.get('reused') else ''}"
        )
    cycles = [
        (s["scale"], s["stages"]["cycle"]["stage"]["details"])
        for s in report["scales"]
        if "cycle" in s["stages"]
    ]
    if cycles:
        lines += ["", "The flow's own step timings (evaluation_cycle.timings), seconds:", ""]
        for name, details in cycles:
            steps = ", ".join(f"{k} {_num(v)}" for k, v in details.get("timings", {}).items())
            server = details.get("prefect_server_start_s")
            if server is not None:
                steps += f"; Prefect's local server started before the timing in {_num(server)} s"
            lines.append(f"- {name}: {steps}")
    return "\n".join(lines) + "\n"


def _reference_lines(report: dict[str, Any]) -> list[str]:
    """Per bulletin: the Typst stage (wall x workers / PDFs) beside WeasyPrint's reference."""
    lines: list[str] = []
    for scale in report["scales"]:
        entry = scale["stages"].get("render") or {}
        reference = entry.get("reference")
        if reference is None:
            continue
        if not reference["units"]:
            lines.append(f"- {scale['scale']} render reference: {reference['details']['skipped']}")
            continue
        stage = entry["stage"]
        typst_ms = stage["wall_s"] * report["workers"] / max(stage["units"], 1) * 1000
        weasy_ms = reference["wall_s"] / reference["units"] * 1000
        lines.append(
            f"- {scale['scale']} render, CPU time per PDF: Typst stage {_num(typst_ms, 1)} ms "
            f"(wall x {report['workers']} workers / PDFs, everything included), WeasyPrint "
            f"reference {_num(weasy_ms, 1)} ms (HTML + PDF of a built context): "
            f"{_num(weasy_ms / typst_ms, 1)}x"
        )
    return ["", *lines] if lines else []


def write(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Write ``<stamp>.json`` and ``<stamp>.md`` under ``out`` and copy them to ``latest.*``."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path, md_path = out / f"{stamp}.json", out / f"{stamp}.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    shutil.copyfile(json_path, out / "latest.json")
    shutil.copyfile(md_path, out / "latest.md")
    return json_path, md_path
