"""Benchmark of the achievement engine: 1.000.000 indicator-months with year-to-date (not a test).

Run: ``.venv/bin/python -m benchmarks.bench_capaian [--indicators N] [--repeat K]``. Builds a
seeded synthetic year (83.334 indicators x 12 months by default, every polarity, target form,
consolidation and frequency, monthly breakdowns and a Perubahan PK for some), then times the
engine: the dense panel from long rows, targets in force, capaian, scoring, predikat, year to
date, trend, projection and the agency, sector and province aggregates. Prints seconds; the
acceptance bar is under 5 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from iku.calendar import MONTHS, Period
from iku.engine.panel import build_panel, compute_panel
from iku.rules import load_rules

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "rules.yaml"
SECTORS = ("pendidikan", "kesehatan", "ekonomi", "sosial", "infrastruktur", "makro")


def synthetic_year(
    indicators: int, seed: int = 20261128
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Indicators, targets and one realisation row per indicator-month (seeded)."""
    rng = np.random.default_rng(seed)
    n = indicators
    ids = np.arange(1, n + 1)
    agency = rng.integers(0, max(n // 5, 1), n)
    polarity = rng.choice(["positive", "negative", "range"], n, p=[0.6, 0.3, 0.1])
    consolidation = rng.choice(["sum", "average", "last"], n, p=[0.3, 0.2, 0.5])
    frequency = rng.choice(
        ["monthly", "quarterly", "semester", "annual"], n, p=[0.7, 0.15, 0.05, 0.1]
    )
    formula = rng.choice(np.array(["2T-R", "T/R", None], dtype=object), n)
    formula[polarity == "positive"] = None
    frame = pd.DataFrame(
        {
            "indicator_id": ids,
            "code": [f"X{i:06d}-01" for i in ids],
            "agency_id": agency + 1,
            "agency_code": [f"A{a:05d}" for a in agency],
            "agency_sector": rng.choice(SECTORS, n),
            "sector": rng.choice(SECTORS, n),
            "polarity": polarity,
            "negative_formula": formula,
            "consolidation": consolidation,
            "frequency": frequency,
            "weight": rng.choice([1.0, 1.0, 2.0], n),
        }
    )

    level = rng.uniform(10, 1000, n)
    form = rng.choice(["eq", "range", "le", "ge"], n, p=[0.7, 0.15, 0.1, 0.05])
    form = np.where(polarity == "range", "range", form)
    lower = np.where(np.isin(form, ["eq", "range", "ge"]), level, np.nan)
    upper = np.where(form == "range", level * 1.1, np.where(form == "le", level, np.nan))
    upper = np.where(form == "eq", level, upper)
    annual = pd.DataFrame(
        {
            "indicator_id": ids,
            "period_key": "annual",
            "version": 1,
            "effective_from": date(2026, 1, 1),
            "lower": lower,
            "upper": upper,
            "comparator": form,
            "text": "",
        }
    )
    revised = annual.sample(frac=0.05, random_state=seed).assign(
        version=2,
        effective_from=date(2026, 7, 1),
        lower=lambda f: f["lower"] * 0.95,
        upper=lambda f: f["upper"] * 0.95,
    )
    with_breakdown = ids[(consolidation == "sum") & (form == "eq") & (rng.random(n) < 0.3)]
    share = rng.dirichlet(np.ones(MONTHS), len(with_breakdown))
    base = level[with_breakdown - 1]
    monthly = pd.DataFrame(
        {
            "indicator_id": np.repeat(with_breakdown, MONTHS),
            "period_key": np.tile([f"M{k:02d}" for k in range(1, 13)], len(with_breakdown)),
            "version": 1,
            "effective_from": date(2026, 1, 1),
            "lower": (share * base[:, None]).ravel(),
            "upper": (share * base[:, None]).ravel(),
            "comparator": "eq",
            "text": "",
        }
    )
    targets = pd.concat([annual, revised, monthly], ignore_index=True)
    targets.insert(0, "target_id", np.arange(1, len(targets) + 1))

    months = np.tile(np.arange(1, MONTHS + 1), n)
    scale = np.where(consolidation == "sum", 1 / MONTHS, 1.0)
    value = np.repeat(level * scale, MONTHS) * rng.normal(1.0, 0.15, n * MONTHS)
    state = rng.choice(
        ["angka", "belum_tersedia", "tidak_dilaporkan"], n * MONTHS, p=[0.95, 0.03, 0.02]
    )
    realisations = pd.DataFrame(
        {
            "indicator_id": np.repeat(ids, MONTHS),
            "month": months,
            "value": np.where(state == "angka", value, np.nan),
            "state": state,
        }
    )
    return frame, targets, realisations


def _grouped(number: int) -> str:
    """1.000.000: thousands grouped the Indonesian way."""
    return f"{number:,}".replace(",", ".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=83_334)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rules = load_rules(RULES_FILE)
    indicators, targets, realisations = synthetic_year(args.indicators)
    period = Period(2026, 12)
    rows = len(realisations)
    print(f"{_grouped(rows)} indicator-month rows, {_grouped(len(targets))} target rows")
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        panel = build_panel(indicators, targets, realisations, period.year, period.month)
        built = time.perf_counter()
        result = compute_panel(panel, rules)
        done = time.perf_counter()
        timings.append((built - started, done - built, done - started))
    best = min(timings, key=lambda t: t[2])
    ytd = int(np.count_nonzero(~np.isnan(result.ytd.raw)))
    print(f"panel + targets in force: {best[0]:.2f} s")
    print(f"capaian, YTD, trend, projection, aggregates: {best[1]:.2f} s")
    print(f"total: {best[2]:.2f} s (best of {args.repeat}; {_grouped(ytd)} YTD capaian)")


if __name__ == "__main__":
    main()
