"""Planting seeded defects in simulated files, never two on one row, each with its outcome."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from iku import calendar
from iku.catalog import Catalog
from iku.numbers import STATE_NOT_AVAILABLE, STATE_NUMBER
from iku.settings import TIMEZONE
from iku.simulate.model import (
    DEFECT_KINDS,
    QUARANTINE_KINDS,
    REJECTION_KINDS,
    SimFile,
    SimLine,
)
from iku.simulate.series import (
    Point,
    SeriesContext,
    capaian_ratio,
    reference_value,
    robust_stats,
    zscore,
)


class Planter:
    """Seeded defects, never two on the same row, each with its expected outcome."""

    def __init__(
        self,
        ctx: SeriesContext,
        catalog: Catalog,
        files: list[SimFile],
        series: dict[str, dict[str, Point]],
        window: Sequence[str],
        rng: random.Random,
    ) -> None:
        self.ctx = ctx
        self.rules = ctx.rules
        self.files = files
        self.window = list(window)
        self.rng = rng
        self.indicators = {i.code: i for i in catalog.indicators}
        self.all_codes = {i.code for i in catalog.indicators}
        self.planted: list[dict[str, Any]] = []
        self.file_of: dict[tuple[str, str], SimFile] = {(f.agency, f.period): f for f in files}

    def plant(self, count: int) -> list[dict[str, Any]]:
        if count <= 0 or not self.files:
            return []
        order = list(DEFECT_KINDS)
        self.rng.shuffle(order)
        kinds = [order[i % len(order)] for i in range(count)]
        # Rejections first, row defects next, history-dependent warnings last: each later step
        # knows which rows earlier steps took out of the accepted history.
        order.sort(key=lambda k: 0 if k in REJECTION_KINDS else (1 if k in QUARANTINE_KINDS else 2))
        kinds.sort(key=order.index)
        for kind in kinds:
            if not self._plant(kind):
                for other in order:
                    if other != kind and self._plant(other):
                        break
        return self.planted

    def settle(self) -> None:
        """Keep every clean row clean against the history as planted: a month quarantined or
        rejected earlier takes its value out of the series' history, so a clean value of a
        seasonal series (a PK breakdown, harvests) may fall far from what is left. Such a value
        moves toward the remaining history's median until its modified z-score is well below
        the threshold (in month order, so later months see the settled values)."""
        rules = self.rules
        limit = 0.75 * rules.plausibility.modified_zscore_threshold
        for sim in sorted(self.files, key=lambda f: f.period):
            if sim.rejected_rule is not None:
                continue
            for line in sim.lines:
                indicator = self.indicators.get(line.code)
                if (
                    indicator is None
                    or indicator.cumulative
                    or indicator.scale is not None
                    or line.defect_id is not None
                    or line.quarantined
                    or line.written_set
                    or line.expect_state != STATE_NUMBER
                    or line.value is None
                ):
                    continue
                prior = self._accepted_prior(line.code, sim.period)
                robust = robust_stats(prior, rules)
                if robust is None or zscore(line.value, prior, rules) < limit:
                    continue
                median = robust[0]
                value = line.value
                for share in (0.8, 0.6, 0.4, 0.2, 0.0):
                    value = round(median + (line.value - median) * share, line.decimals)
                    if zscore(value, prior, rules) < limit:
                        break
                line.value = line.expect_value = (
                    float(value) if line.decimals else float(int(value))
                )

    # helpers

    def _record(
        self,
        kind: str,
        sim: SimFile,
        line: SimLine | None,
        column: str | None,
        outcome: str,
        rule: str,
        severity: str,
        **extra: Any,
    ) -> None:
        defect_id = f"D{len(self.planted) + 1:03d}"
        if line is not None:
            line.defect_id = defect_id
        self.planted.append(
            {
                "id": defect_id,
                "kind": kind,
                "agency": sim.agency,
                "period": sim.period,
                "_file": sim,
                "_line_obj": line,
                "source_row": None,
                "indicator_code": line.code if line is not None else None,
                "column": column,
                "expected": {"outcome": outcome, "rule": rule, "severity": severity},
                **extra,
            }
        )

    def _open_files(self, kinds: Sequence[str] | None = None) -> list[SimFile]:
        return [
            f
            for f in self.files
            if f.rejected_rule is None
            and (kinds is None or f.kind in kinds)
            and not any(line.defect_id for line in f.lines)
            and not f.late
        ]

    def _free_lines(self, predicate: Any = None) -> list[tuple[SimFile, SimLine]]:
        found = []
        for sim in self.files:
            if sim.rejected_rule is not None:
                continue
            for line in sim.lines:
                known = self.indicators.get(line.code)
                if known is not None and known.scale is not None:
                    continue  # a grade ("WTP") takes no numeric defect
                if line.defect_id is None and (predicate is None or predicate(sim, line)):
                    found.append((sim, line))
        return found

    def _accepted_prior(self, code: str, period: str) -> list[float]:
        """Accepted numbers of the series before ``period`` within the history window."""
        first = calendar.shift_period(period, -self.rules.plausibility.history_months)
        values = []
        for month in self.window:
            if not first <= month < period:
                continue
            line = self._line_at(code, month)
            if line is not None and line.expect_state == STATE_NUMBER and not line.quarantined:
                assert line.expect_value is not None
                values.append(line.expect_value)
        return values

    def _line_at(self, code: str, period: str) -> SimLine | None:
        indicator = self.indicators[code]
        sim = self.file_of.get((indicator.agency_code, period))
        if sim is None or sim.rejected_rule is not None:
            return None
        matches = [line for line in sim.lines if line.code == code]
        return matches[0] if len(matches) == 1 else None

    def _next_line(self, code: str, period: str) -> SimLine | None:
        later = [p for p in self.window if p > period]
        return self._line_at(code, later[0]) if later else None

    def _pick(self, candidates: list[Any]) -> Any:
        return candidates[self.rng.randrange(len(candidates))] if candidates else None

    # the kinds

    def _plant(self, kind: str) -> bool:
        return bool(getattr(self, f"_{kind}")())

    def _reject(self, sim: SimFile, kind: str) -> None:
        sim.rejected_rule = kind
        for line in sim.lines:
            line.quarantined = True
        self._record(kind, sim, None, None, "rejected", kind, "blocking")

    def _agency_mismatch(self) -> bool:
        sim = self._pick(self._open_files())
        if sim is None:
            return False
        others = sorted({f.agency for f in self.files if f.agency != sim.agency})
        sim.agency_written = others[0] if others else "DINAS_LAIN"
        self._reject(sim, "agency_mismatch")
        return True

    def _period_outside_window(self) -> bool:
        sim = self._pick(self._open_files())
        if sim is None:
            return False
        sim.period_written = calendar.shift_period(
            sim.period, -(self.rules.submission.open_months + 1)
        )
        self._reject(sim, "period_outside_window")
        return True

    def _missing_columns(self) -> bool:
        sim = self._pick(self._open_files(("template", "xlsx", "csv")))
        if sim is None:
            return False
        sim.drop_value_column = True
        self._reject(sim, "missing_columns")
        return True

    def _file_unreadable(self) -> bool:
        sim = self._pick(self._open_files(("template", "xlsx", "json")))
        if sim is None:
            return False
        sim.corrupt = True
        self._reject(sim, "file_unreadable")
        return True

    def _quarantine(
        self, kind: str, sim: SimFile, line: SimLine, column: str, **extra: Any
    ) -> None:
        line.quarantined = True
        rule = extra.pop("rule", kind)
        self._record(kind, sim, line, column, "quarantined", rule, "error", **extra)

    def _extra_line(self, sim: SimFile, base: SimLine, code: str) -> SimLine:
        extra = SimLine(
            code=code,
            name=base.name,
            unit=base.unit,
            target_text=base.target_text,
            value=base.value,
            state=base.state,
            decimals=base.decimals,
            note=base.note,
            evidence=base.evidence,
            expect_value=base.expect_value,
            expect_state=base.expect_state,
        )
        sim.lines.append(extra)
        return extra

    def _numeric(self, sim: SimFile, line: SimLine) -> bool:
        return line.expect_state == STATE_NUMBER and line.value is not None

    def _unknown_indicator(self) -> bool:
        pair = self._pick(self._free_lines(self._numeric))
        if pair is None:
            return False
        sim, base = pair
        number = 99
        while f"{sim.agency}-{number}" in self.all_codes:
            number -= 1
        line = self._extra_line(sim, base, f"{sim.agency}-{number}")
        line.name = "Indikator lama (sudah tidak dipakai)"
        self._quarantine("unknown_indicator", sim, line, "indicator_code")
        return True

    def _not_a_number(self) -> bool:
        pair = self._pick(self._free_lines(self._numeric))
        if pair is None:
            return False
        sim, line = pair
        if sim.kind in ("csv", "json"):
            text = self.rng.choice(("=SUM(F7:F9)", "sekitar 85", "85,2,1", "@HYPERLINK(1)"))
        else:
            text = self.rng.choice(("sekitar 85", "85,2,1", "n.a.", "lihat lampiran"))
        line.write(text)
        line.expect_value, line.expect_state, line.expect_parse = None, None, "invalid"
        self._quarantine("not_a_number", sim, line, "realisasi")
        return True

    def _ambiguous_number(self) -> bool:
        from iku.numbers import choose_by_magnitude, read_number

        pair = self._pick(self._free_lines(lambda s, ln: self._numeric(s, ln) and ln.value != 0))
        if pair is None:
            return False
        sim, line = pair
        indicator = self.indicators[line.code]
        assert line.value is not None
        reference = reference_value(self.ctx, indicator, sim.period) or abs(line.value)
        whole = max(int(abs(line.value) * 50) + 1, 11)
        for _ in range(20):
            text = f"{whole}.{self.rng.randint(101, 999)}"
            reading = read_number(text)
            settled = choose_by_magnitude(
                reading.candidates,
                reference=reference,
                lower=indicator.min_value,
                upper=indicator.max_value,
            )
            near = choose_by_magnitude(reading.candidates, reference=line.value)
            if reading.is_ambiguous and settled is None and near is None:
                break
            whole *= 3
        else:
            return False
        line.write(text)
        line.expect_value, line.expect_state, line.expect_parse = None, None, "ambiguous"
        self._quarantine("ambiguous_number", sim, line, "realisasi")
        return True

    def _state_without_reason(self) -> bool:
        pair = self._pick(self._free_lines())
        if pair is None:
            return False
        sim, line = pair
        line.value = None
        line.state = STATE_NOT_AVAILABLE
        line.note = None
        line.expect_value, line.expect_state = None, STATE_NOT_AVAILABLE
        self._quarantine("state_without_reason", sim, line, "keterangan")
        return True

    def _duplicate_row(self) -> bool:
        pair = self._pick(self._free_lines(self._numeric))
        if pair is None:
            return False
        sim, base = pair
        line = self._extra_line(sim, base, base.code)
        base.quarantined = True
        base.defect_id = "dup-of-next"  # reserved: no second defect on the original row
        self._quarantine("duplicate_row", sim, line, "kode_iku", _also=[base])
        base.defect_id = self.planted[-1]["id"]
        return True

    def _out_of_bounds(self) -> bool:
        def eligible(sim: SimFile, line: SimLine) -> bool:
            indicator = self.indicators[line.code]
            return (
                self._numeric(sim, line)
                and indicator.polarity in ("positive", "range")
                and indicator.min_value is not None
                and not indicator.cumulative
            )

        pair = self._pick(self._free_lines(eligible))
        if pair is None:
            return False
        sim, line = pair
        indicator = self.indicators[line.code]
        assert indicator.min_value is not None and line.value is not None
        value = round(indicator.min_value - max(abs(line.value) * 0.1, 1.0), 2)
        line.value = value
        line.expect_value = value
        self._quarantine("out_of_bounds", sim, line, "realisasi", rule="below_minimum")
        return True

    def _warn(self, kind: str, sim: SimFile, line: SimLine | None, column: str | None) -> None:
        if line is not None:
            line.warned = True
        self._record(kind, sim, line, column, "warning", kind, "warning")

    def _history_ok(self, sim: SimFile, line: SimLine, minimum: int) -> list[float] | None:
        prior = self._accepted_prior(line.code, sim.period)
        return prior if len(prior) >= minimum else None

    def _outlier_zscore(self) -> bool:
        rules = self.rules
        for sim, line in self._shuffled(self._free_lines(self._numeric)):
            indicator = self.indicators[line.code]
            if indicator.cumulative or indicator.frequency == "annual":
                continue
            prior = self._history_ok(sim, line, rules.plausibility.min_history)
            robust = robust_stats(prior or [], rules)
            if prior is None or robust is None:
                continue
            median, scale = robust
            direction = 1 if indicator.polarity == "negative" else -1
            distance = max(8 * scale, 0.3 * abs(median))
            value = round(median + direction * distance, line.decimals)
            low = indicator.min_value if indicator.min_value is not None else -math.inf
            high = indicator.max_value if indicator.max_value is not None else math.inf
            if indicator.unit.strip().startswith("%"):
                low = max(low, 1.0)
            if not low <= value <= high:
                continue
            if zscore(value, prior, rules) < 2 * rules.plausibility.modified_zscore_threshold:
                continue
            ratio = capaian_ratio(self.ctx, indicator, sim.period, value)
            if ratio * 100 > rules.plausibility.capaian_verification_above * 0.8:
                continue
            line.value = line.expect_value = value
            self._warn("outlier_zscore", sim, line, "realisasi")
            return True
        return False

    def _shuffled(self, items: list[Any]) -> list[Any]:
        items = list(items)
        self.rng.shuffle(items)
        return items

    def _percent_as_fraction(self) -> bool:
        rules = self.rules
        for sim, line in self._shuffled(self._free_lines(self._numeric)):
            indicator = self.indicators[line.code]
            if not indicator.unit.strip().startswith("%") or indicator.frequency == "annual":
                continue
            if indicator.cumulative or line.value is None or not 1 < line.value < 99:
                continue
            prior = self._history_ok(sim, line, rules.plausibility.min_history)
            if prior is None or statistics.median(prior) <= 1:
                continue
            value = round(line.value / 100, 4)
            line.value = line.expect_value = value
            line.decimals = 4
            line.percent_cell = False
            self._warn("percent_as_fraction", sim, line, "realisasi")
            return True
        return False

    def _cumulative_decrease(self) -> bool:
        for sim, line in self._shuffled(self._free_lines(self._numeric)):
            indicator = self.indicators[line.code]
            if not indicator.cumulative:
                continue
            previous_period = calendar.shift_period(sim.period, -1)
            if previous_period[:4] != sim.period[:4]:
                continue
            before = self._line_at(line.code, previous_period)
            if before is None or before.quarantined or before.expect_state != STATE_NUMBER:
                continue
            if before.defect_id is not None or before.expect_value is None:
                continue
            following = self._next_line(line.code, sim.period)
            if following is not None and following.defect_id is not None:
                continue
            step = max(abs(before.expect_value) * 0.004, 10 ** (-line.decimals))
            value = round(before.expect_value - step, line.decimals)
            if value >= before.expect_value:
                continue
            clean = line.value, line.expect_value
            line.value = line.expect_value = value
            if following is not None and not self._still_plausible(following, sim.period):
                # A series that grows along its line: the month after a lowered one must not
                # become an outlier against the changed history.
                line.value, line.expect_value = clean
                continue
            self._warn("cumulative_decrease", sim, line, "realisasi")
            return True
        return False

    def _still_plausible(self, line: SimLine, after: str) -> bool:
        """Whether the clean ``line`` of the month after ``after`` stays well below the outlier
        threshold against the accepted history as planted so far."""
        later = [p for p in self.window if p > after]
        if not later or line.expect_value is None:
            return True
        prior = self._accepted_prior(line.code, later[0])
        threshold = self.rules.plausibility.modified_zscore_threshold
        return zscore(line.expect_value, prior, self.rules) < 0.8 * threshold

    def _missing_evidence(self) -> bool:
        def eligible(sim: SimFile, line: SimLine) -> bool:
            return self._numeric(sim, line) and self.indicators[line.code].evidence_required

        pair = self._pick(self._free_lines(eligible))
        if pair is None:
            return False
        sim, line = pair
        line.evidence = None
        self._warn("missing_evidence", sim, line, "bukti_dukung")
        return True

    def _late_submission(self) -> bool:
        candidates = [f for f in self.files if f.rejected_rule is None and not f.late]
        sim = self._pick(candidates)
        if sim is None:
            return False
        year, month = calendar.split(calendar.shift_period(sim.period, 1))
        day = self.rules.submission.deadline_day + self.rng.randint(1, 10)
        sim.received_at = datetime(year, month, day, 10, 15, tzinfo=TIMEZONE)
        sim.late = True
        self._warn("late_submission", sim, None, "received_at")
        return True

    def _capaian_over_150(self) -> bool:
        rules = self.rules
        for sim, line in self._shuffled(self._free_lines(self._numeric)):
            indicator = self.indicators[line.code]
            if indicator.polarity != "positive" or indicator.cumulative:
                continue
            if indicator.consolidation == "sum" or indicator.frequency == "annual":
                continue
            reference = reference_value(self.ctx, indicator, sim.period)
            if not reference or reference <= 0:
                continue
            value = round(reference * 1.75, line.decimals)
            if indicator.max_value is not None and value > indicator.max_value:
                continue
            if capaian_ratio(self.ctx, indicator, sim.period, value) * 100 <= (
                rules.plausibility.capaian_verification_above * 1.1
            ):
                continue
            following = self._next_line(line.code, sim.period)
            if following is not None and following.defect_id is not None:
                continue
            line.value = line.expect_value = value
            self._warn("capaian_over_150", sim, line, "capaian")
            return True
        return False
