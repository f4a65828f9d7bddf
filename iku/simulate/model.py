"""What the simulator writes: simulated files and lines, what staging must produce from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from iku.numbers import STATE_NUMBER

SIMULATION_DIR: Final = ".simulation"
FORMAT_KINDS: Final = ("template", "xlsx", "csv", "json")

REJECTION_KINDS: Final = (
    "agency_mismatch",
    "period_outside_window",
    "missing_columns",
    "file_unreadable",
)
QUARANTINE_KINDS: Final = (
    "unknown_indicator",
    "not_a_number",
    "ambiguous_number",
    "state_without_reason",
    "duplicate_row",
    "out_of_bounds",
)
WARNING_KINDS: Final = (
    "outlier_zscore",
    "percent_as_fraction",
    "cumulative_decrease",
    "missing_evidence",
    "late_submission",
    "capaian_over_150",
)
DEFECT_KINDS: Final = REJECTION_KINDS + QUARANTINE_KINDS + WARNING_KINDS


class SimulationError(ValueError):
    """Bad simulation arguments (unknown agency, bad period)."""


@dataclass
class SimLine:
    """One data row of a simulated file: what is written, and what staging must produce."""

    code: str
    name: str
    unit: str
    target_text: str
    value: float | None
    state: str
    decimals: int
    note: str | None = None
    evidence: str | None = None
    written: object = None  # text written in place of the value (defects), if set
    written_set: bool = False
    status_text: str | None = None
    expect_value: float | None = None
    expect_state: str | None = STATE_NUMBER
    expect_parse: str = "ok"
    defect_id: str | None = None
    percent_cell: bool = False
    formula: bool = False
    source_row: int = 0
    quarantined: bool = False
    warned: bool = False

    def write(self, text: object) -> None:
        self.written, self.written_set = text, True


@dataclass
class SimFile:
    agency: str
    agency_name: str
    period: str
    kind: str
    name: str
    lines: list[SimLine]
    received_at: datetime
    options: dict[str, Any] = field(default_factory=dict)
    agency_written: str = ""
    period_written: str = ""
    drop_value_column: bool = False
    corrupt: bool = False
    rejected_rule: str | None = None
    late: bool = False

    @property
    def relpath(self) -> str:
        return f"{self.agency}/{self.name}"


@dataclass
class SimulationResult:
    out_dir: Path
    files: list[SimFile]
    defects: list[dict[str, Any]]
    truth: list[dict[str, Any]]
    audit: list[str]
    manifest_path: Path
    truth_path: Path

    @property
    def rows(self) -> int:
        return sum(len(f.lines) for f in self.files)


# --- numbers as people write them --------------------------------------------------------------


def _group(integer: int) -> str:
    return f"{integer:,}".replace(",", ".")


def format_id(value: float, decimals: int, *, plain_thousands: bool = False) -> str:
    """Indonesian format that reads one way only: ``85,24``, ``1.234,50``, ``12345``.

    Never a single separator followed by exactly three digits (``1.234``, ``0,312``).
    """
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if decimals == 0:
        integer = round(magnitude)
        if integer >= 1_000_000:
            return sign + _group(integer)
        if integer >= 1000:
            return sign + (str(integer) if plain_thousands else _group(integer) + ",00")
        return sign + str(integer)
    text = f"{magnitude:.{decimals}f}"
    integer_part, fraction = text.split(".")
    grouped = _group(int(integer_part))
    return f"{sign}{grouped},{fraction}"
