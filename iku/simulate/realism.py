"""What real agencies send (``simulate(..., realistic=True)``, ``iku simulate --realistic``).

A clean simulation has every agency on time every month near its targets. A realistic one,
deterministic with the seed, also has what the figures must survive (issue 13, item 11):

- one agency that starts reporting mid-year (a roll-out: its year to date rests on few months);
- agencies that miss a month, one of them the last month (``belum_melapor``), and files that
  arrive after the deadline (``late_submission``);
- cumulative coverage following the target line to date (every simulation does, see
  :mod:`iku.simulate.series`);
- statistical releases later than the deadline: a BPS quarterly or semester figure is sent for
  its earlier quarters and "belum tersedia" for the latest one, so the latest value is an older
  period's (dated, overdue);
- unit slips in the last month: a per-mille value written as a percentage (NDR 2,1 for 21 per
  1.000, capaian above 150%) and a percentage written as a fraction (0,885 for 88,5%), both held
  out of the aggregates until a steward verifies them;
- one or two under-performing agencies (capaian around 60%: low, missed, at risk).

Every choice is listed in the manifest under ``realism`` with what it must produce.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from iku import calendar
from iku.catalog import IndicatorRow
from iku.numbers import STATE_NOT_AVAILABLE, STATE_NUMBER
from iku.rules import Rules
from iku.settings import TIMEZONE
from iku.simulate.model import SimFile, SimLine
from iku.simulate.series import Point, bps_lagged

#: The capaian level of an under-performing agency (Rendah: below Sedang, at risk).
UNDER_PERFORMANCE: Final = 0.6
#: Share of files (other than the last month's) that arrive after the deadline.
LATE_SHARE: Final = 0.08
#: Agencies whose figures the province's own macro IKU are: never a roll-out or a slip.
_KEEP: Final = ("PEMPROV",)


@dataclass
class Realism:
    """The realistic choices of one simulation (see the module docstring)."""

    window: list[str]
    late_start: dict[str, str] = field(default_factory=dict)
    missing: set[tuple[str, str]] = field(default_factory=set)
    under: dict[str, float] = field(default_factory=dict)
    withheld: dict[str, str] = field(default_factory=dict)  # IKU code -> the withheld month
    events: list[dict[str, Any]] = field(default_factory=list)

    def performance(self, agency: str) -> float:
        return self.under.get(agency, 1.0)


def _sum_monthly(indicators: Sequence[IndicatorRow]) -> bool:
    return any(i.consolidation == "sum" and i.frequency == "monthly" for i in indicators)


def _per_mille(indicator: IndicatorRow) -> bool:
    return indicator.unit.strip().lower().startswith("per 1.000")


def plan(
    by_agency: dict[str, list[IndicatorRow]],
    wanted: Sequence[str],
    window: Sequence[str],
    seed: int,
) -> Realism:
    """Choose the roles (mid-year start, missed months, under-performers) from the seed."""
    rng = random.Random(f"{seed}:realism")
    realism = Realism(list(window))
    pool = [a for a in sorted(wanted) if a not in _KEEP]
    rng.shuffle(pool)
    # Agencies with a per-mille IKU last: they keep their last month for the unit slip.
    pool.sort(key=lambda a: any(_per_mille(i) for i in by_agency[a]))
    if len(window) >= 4 and pool:
        starters = [a for a in pool if _sum_monthly(by_agency[a])] or pool
        starter = starters[0]
        pool.remove(starter)
        start = window[len(window) // 2]
        realism.late_start[starter] = start
        for period in window:
            if period < start:
                realism.missing.add((starter, period))
        realism.events.append(
            {
                "kind": "mid_year_start",
                "agency": starter,
                "first_period": start,
                "expected": "year to date on the months reported, belum lengkap",
            }
        )
    unders = 2 if len(wanted) >= 10 else 1
    for agency in pool[:unders] if len(pool) > 3 else []:
        realism.under[agency] = UNDER_PERFORMANCE
        realism.events.append(
            {
                "kind": "under_performing",
                "agency": agency,
                "level": UNDER_PERFORMANCE,
                "expected": "capaian_rendah, tidak_tercapai, proyeksi_berisiko",
            }
        )
    rest = pool[unders:] if len(pool) > 3 else pool
    if rest:
        # One agency has not sent the last month: "belum melapor" in the last bulletin.
        absent = rest[0]
        realism.missing.add((absent, window[-1]))
        realism.events.append(
            {
                "kind": "missing_month",
                "agency": absent,
                "period": window[-1],
                "expected": "belum_melapor",
            }
        )
        middle = window[1:-1]
        for agency in rest[1:3]:
            if middle:
                month = rng.choice(middle)
                realism.missing.add((agency, month))
                realism.events.append(
                    {
                        "kind": "missing_month",
                        "agency": agency,
                        "period": month,
                        "expected": "belum_melapor in that month; missing, never zero",
                    }
                )
    return realism


def release_late(
    realism: Realism,
    indicators: dict[str, IndicatorRow],
    series: dict[str, dict[str, Point]],
) -> None:
    """A BPS quarterly or semester figure: the latest due month of the window is not released
    by its deadline ("belum tersedia"); the earlier ones were sent, so the latest value is older."""
    for code, points in series.items():
        indicator = indicators[code]
        if not bps_lagged(indicator) or indicator.frequency == "annual":
            continue
        due = [p for p in sorted(points) if points[p].state == STATE_NUMBER]
        if len(due) < 2:
            continue
        latest = due[-1]
        year, month = calendar.split(latest)
        release = calendar.MONTH_NAMES[min(month + 2, 12) - 1]
        point = points[latest]
        points[latest] = Point(
            latest,
            None,
            STATE_NOT_AVAILABLE,
            f"Rilis BPS untuk {calendar.label(latest)} dijadwalkan {release} {year}, setelah "
            "batas pengiriman.",
            point.decimals,
        )
        realism.withheld[code] = latest
        realism.events.append(
            {
                "kind": "late_release",
                "agency": indicator.agency_code,
                "indicator_code": code,
                "period": latest,
                "last_value_period": due[-2],
                "expected": "belum tersedia; the latest value is dated from an earlier period",
            }
        )


def shape_files(
    realism: Realism,
    files: list[SimFile],
    indicators: dict[str, IndicatorRow],
    rules: Rules,
    seed: int,
) -> list[SimFile]:
    """Drop the files never sent, make some arrive late, and plant the last month's unit
    slips; returns the files that are sent."""
    rng = random.Random(f"{seed}:realism:files")
    kept = [f for f in files if (f.agency, f.period) not in realism.missing]
    last = realism.window[-1]
    # Late files are of months before the last one; at least one (of the earliest months, so
    # its warning is an old open issue by the last month).
    earlier = [f for f in kept if f.period < last]
    late = [f for f in earlier if rng.random() < LATE_SHARE]
    if earlier and not late:
        first = min(f.period for f in earlier)
        late = [
            rng.choice(sorted((f for f in earlier if f.period == first), key=lambda f: f.agency))
        ]
    for sim in late:
        year, month = calendar.split(calendar.shift_period(sim.period, 1))
        day = rules.submission.deadline_day + rng.randint(1, 12)
        sim.received_at = datetime(year, month, day, rng.randint(8, 15), 30, tzinfo=TIMEZONE)
        sim.late = True
        realism.events.append(
            {
                "kind": "late_submission",
                "agency": sim.agency,
                "period": sim.period,
                "file": sim.relpath,
                "expected": "late_submission warning; the values count",
            }
        )
    # A per-mille slip needs no history (its capaian is far above 150%); a fraction is told
    # from a percentage by the series' history.
    if len(realism.window) >= 2:
        _slip(realism, kept, indicators, "per_mille_as_percent")
    if len(realism.window) >= rules.plausibility.min_history + 1:
        _slip(realism, kept, indicators, "percent_as_fraction")
    return kept


def _slip(
    realism: Realism, files: list[SimFile], indicators: dict[str, IndicatorRow], kind: str
) -> None:
    last = realism.window[-1]
    taken = {e["agency"] for e in realism.events if e["kind"] in ("unit_slip",)}
    for sim in sorted(files, key=lambda f: f.agency):
        if sim.period != last or sim.agency in taken or sim.agency in realism.under:
            continue
        for line in sim.lines:
            indicator = indicators[line.code]
            if not _slips(kind, indicator, line):
                continue
            assert line.value is not None
            true_value = line.value
            if kind == "per_mille_as_percent":
                written, decimals, rule = round(true_value / 10, 2), 2, ("capaian_over_150")
            else:
                written, decimals, rule = round(true_value / 100, 4), 4, "percent_as_fraction"
            line.value = line.expect_value = written
            line.decimals = decimals
            line.percent_cell = False
            line.defect_id = f"R{len(realism.events) + 1:03d}"
            realism.events.append(
                {
                    "kind": "unit_slip",
                    "slip": kind,
                    "agency": sim.agency,
                    "period": sim.period,
                    "file": sim.relpath,
                    "indicator_code": line.code,
                    "written": written,
                    "true_value": true_value,
                    "expected": {"rule": rule, "held_until_verified": True},
                }
            )
            return


def _slips(kind: str, indicator: IndicatorRow, line: SimLine) -> bool:
    if line.defect_id is not None or line.expect_state != STATE_NUMBER or line.value is None:
        return False
    if indicator.cumulative or indicator.frequency != "monthly":
        return False
    if kind == "per_mille_as_percent":
        return _per_mille(indicator) and line.value >= 1
    return (
        indicator.unit.strip().startswith("%")
        and 5 < line.value < 99
        and indicator.polarity == "positive"
    )
