"""Run the data-quality checks with Great Expectations and return a typed report.

One ephemeral GX context (kept warm per thread while the expectations stay the same: see
``_definitions``); one dataframe asset per frame (rows, submissions); one GX suite per frame
holding its checks of every suite of :data:`SUITE_TITLES` (each finding names its own suite).
Results are read with ``result_format=COMPLETE`` and the explicit
``row_id`` index column, and every failing row is mapped back to its check by the rule id in the
expectation's ``meta``. GX does not promise ``unexpected_index_list`` for every expectation, so a
failed row-level expectation without it is an error here (:class:`RowIdentificationError`),
never a silent pass; the tests exercise every expectation used.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

import pandas as pd

from iku.rules import Rules
from quality.checks import CHECKS, CHECKS_BY_RULE, ROW_COLUMNS, Check

log = logging.getLogger(__name__)
# GX announces a temporary Data Docs folder on every ephemeral context; it is noise here.
logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

SUITE_TITLES = {
    "struktur": "Struktur berkas",
    "nilai": "Nilai",
    "kewajaran": "Kewajaran",
    "ketepatan": "Ketepatan waktu",
}


class ValidationRunError(RuntimeError):
    """An expectation could not be evaluated (a bug or an unexpected frame), not bad data."""


class RowIdentificationError(ValidationRunError):
    """GX reported failures without saying which rows failed."""


@dataclass(frozen=True)
class Finding:
    """One failed check on one row (or one submission, when ``row_id`` is None)."""

    rule: str
    suite: str
    severity: str
    submission_id: int
    row_id: int | None
    source_file: str
    source_row: int | None
    indicator_code: str | None
    period: str | None
    column: str
    observed: str
    expected: str
    message: str


@dataclass
class ValidationReport:
    """Everything the checks found, plus what was checked."""

    findings: list[Finding] = field(default_factory=list)
    rows_checked: int = 0
    submissions_checked: int = 0

    def blocked_submissions(self) -> set[int]:
        return {f.submission_id for f in self.findings if f.severity == "blocking"}

    def quarantined_rows(self) -> set[int]:
        return {f.row_id for f in self.findings if f.severity == "error" and f.row_id is not None}

    def warnings_by_row(self) -> dict[int, list[str]]:
        flagged: dict[int, list[str]] = {}
        for f in self.findings:
            if f.severity == "warning" and f.row_id is not None:
                flagged.setdefault(f.row_id, []).append(f.rule)
        return flagged

    def for_submission(self, submission_id: int) -> list[Finding]:
        return [f for f in self.findings if f.submission_id == submission_id]


def _context() -> Any:
    """An ephemeral GX context without progress bars. No Data Docs site: the stewards' own
    review page (iku/bulletins/review_page.py) shows what was checked, in Bahasa Indonesia and
    offline (README, "Data-quality rules")."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _as_int(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return int(value)


def _finding(check: Check, row: Mapping[Any, Any], rules: Rules) -> Finding:
    is_row = check.frame == "rows"
    return Finding(
        rule=check.rule,
        suite=check.suite,
        severity=check.severity,
        submission_id=int(row["submission_id"]),
        row_id=int(row["row_id"]) if is_row else None,
        source_file=str(row["source_file"]),
        source_row=_as_int(row["source_row"]) if is_row else None,
        indicator_code=str(row["indicator_code"]) if is_row else None,
        period=str(row["period"]) if row.get("period") is not None else None,
        column=check.column,
        observed=check.observed(row),
        expected=check.expected(row, rules),
        message=check.message(row, rules),
    )


def run_checks(
    rows: pd.DataFrame,
    submissions: pd.DataFrame,
    rules: Rules,
    context: Mapping[str, Any],
    *,
    part: tuple[int, int] = (0, 1),
) -> ValidationReport:
    """Run every check on the frames built by :mod:`quality.frame`.

    ``context`` carries values an expectation may need beyond the frames. Rows of
    submissions that fail a blocking check are still judged row by row (the steward sees every
    problem at once), but the submission as a whole is rejected by the router.

    ``part`` ``(i, n)``: only the i-th of n shares of the checks, and the findings as they
    came (unsettled): processes that each run a share of one validation give their reports to
    :func:`merge_reports`. The whole, ``(0, 1)``, is settled here.
    """
    missing = [c for c in ROW_COLUMNS if c not in rows.columns]
    if missing:
        raise ValidationRunError(f"row frame lacks columns {missing}")
    report = ValidationReport(rows_checked=len(rows), submissions_checked=len(submissions))
    if submissions.empty:
        return report
    frames = {"rows": rows, "submissions": submissions}
    lookup = {name: frame.set_index("row_id", drop=False) for name, frame in frames.items()}
    # Every failing row's id, and nothing GX would build beyond it for a reader of its own
    # results: no pandas query string per expectation (15% of a small run).
    result_format = {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": ["row_id"],
        "return_unexpected_index_query": False,
    }
    prepared = _definitions(rules, context, part)
    for frame_name, frame in frames.items():
        if frame.empty:
            continue
        definitions, used = prepared[frame_name]
        # GX copies the frame's columns as it filters rows for each expectation: give it only
        # the columns the expectations read (messages are built from the whole row later).
        frame = frame.loc[:, [c for c in frame.columns if c in used]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The batch's own validate, not the definition's run: the run also serialises its
            # results into the context's results store, which nothing here reads (12%).
            suite_results = [
                d.data.get_batch(batch_parameters={"dataframe": frame}).validate(
                    d.suite, result_format=result_format
                )
                for d in definitions
            ]
        for suite_result in suite_results:
            for result in suite_result.results:
                _collect(result, lookup[frame_name], rules, report)
    return _settled(report) if part == (0, 1) else report


def merge_reports(reports: list[ValidationReport]) -> ValidationReport:
    """One report of the shares of one validation (``run_checks(..., part=...)``)."""
    merged = ValidationReport(
        findings=[f for r in reports for f in r.findings],
        rows_checked=max((r.rows_checked for r in reports), default=0),
        submissions_checked=max((r.submissions_checked for r in reports), default=0),
    )
    return _settled(merged)


def _settled(report: ValidationReport) -> ValidationReport:
    """The findings as the steward reads them: a quarantined row is judged on its values, so
    plausibility warnings on it would be noise (the value is not used until the row is fixed
    or overridden); a finding another finding supersedes goes; in a stable order."""
    quarantined = report.quarantined_rows()
    superseded = {
        (f.row_id, rule)
        for f in report.findings
        if f.row_id is not None
        for rule in CHECKS_BY_RULE[f.rule].supersedes
    }
    report.findings = [
        f
        for f in report.findings
        if not (f.severity == "warning" and f.row_id in quarantined)
        and (f.row_id, f.rule) not in superseded
    ]
    report.findings.sort(key=lambda f: (f.submission_id, f.source_row or 0, f.rule, f.row_id or 0))
    return report


#: Per thread: the warm GX context, suites and validation definitions of the last expectations
#: built, reused while the expectations are the same (the rules and the run's context values).
_warm = threading.local()
#: A warm context is rebuilt after this many runs (whatever GX keeps per run stays bounded).
WARM_RUNS: Final = 200


def _definitions(
    rules: Rules, context: Mapping[str, Any], part: tuple[int, int] = (0, 1)
) -> dict[str, tuple[list[Any], set[str]]]:
    """Per frame: the validation definitions of its suites and the columns they read.

    Building a GX context, its suites and definitions costs a fixed part of every run (the
    stores serialise each suite); a web process validating small submissions one after another
    reuses them, per thread, while the expectations are identical (their configurations are
    compared) and for at most :data:`WARM_RUNS` runs."""
    import great_expectations as gx

    built: dict[str, list[tuple[str, str, list[Any]]]] = {}
    signature: list[Any] = [part]
    share, shares = part
    made = []
    for frame_name in ("rows", "submissions"):
        # One suite per frame, every check in the order of SUITE_TITLES: each run of a
        # validation definition has a fixed cost, and a finding names its suite from the check.
        for suite in SUITE_TITLES:
            for check in CHECKS:
                if check.frame == frame_name and check.suite == suite:
                    made.append((check, check.expectation(rules, context)))
    mine = dealt_checks(made, shares)[share]
    for frame_name in ("rows", "submissions"):
        expectations = []
        for check, expectation in made:
            if check.frame != frame_name or check.rule not in mine:
                continue
            expectation.meta = {"rule": check.rule, "severity": check.severity}
            expectation.notes = check.title
            expectations.append(expectation)
            signature.append((frame_name, check.suite, repr(expectation)))
        built[frame_name] = [(f"iku_{frame_name}", "IKU", expectations)] if expectations else []
    key = repr(signature)
    cached = getattr(_warm, "cache", None)
    if cached is not None and cached[0] == key and cached[2] < WARM_RUNS:
        _warm.cache = (key, cached[1], cached[2] + 1)
        return cast(dict[str, tuple[list[Any], set[str]]], cached[1])
    gx_context = _context()
    source = gx_context.data_sources.add_pandas("iku")
    prepared: dict[str, tuple[list[Any], set[str]]] = {}
    for frame_name, suites in built.items():
        batch = source.add_dataframe_asset(frame_name).add_batch_definition_whole_dataframe("all")
        definitions = []
        used = {"row_id"}
        for suite_name, title, expectations in suites:
            suite = gx_context.suites.add(
                gx.ExpectationSuite(name=suite_name, meta={"title": title})
            )
            for expectation in expectations:
                suite.add_expectation(expectation)
                used |= columns_used(expectation.configuration.kwargs)
            definitions.append(
                gx_context.validation_definitions.add(
                    gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
                )
            )
        prepared[frame_name] = (definitions, used)
    _warm.cache = (key, prepared, 1)
    return prepared


def dealt_checks(made: list[tuple[Check, Any]], shares: int) -> list[set[str]]:
    """The rules of each of ``shares`` shares of the checks, of about the same cost: the
    costliest first, each to the share with the least so far (the shares run at the same time,
    so the slowest decides). A check costs about the same whatever the rows, more with each
    clause of its row condition (:func:`check_cost`)."""
    totals = [0.0] * max(1, shares)
    dealt: list[set[str]] = [set() for _ in totals]
    ranked = sorted(enumerate(made), key=lambda item: (-check_cost(item[1][1]), item[0]))
    for _order, (check, expectation) in ranked:
        lightest = min(range(len(totals)), key=lambda i: (totals[i], i))
        totals[lightest] += check_cost(expectation)
        dealt[lightest].add(check.rule)
    return dealt


def check_cost(expectation: Any) -> float:
    """An expectation's relative cost in a run: 1, and a half for each clause of its row
    condition (measured: a three-clause condition about 2,5x a plain column check)."""
    condition = expectation.configuration.kwargs.get("row_condition")
    return 1.0 + 0.5 * _clauses(condition)


def _clauses(condition: Any) -> int:
    if not isinstance(condition, Mapping):
        return 0
    nested = condition.get("conditions")
    if isinstance(nested, list):
        return sum(_clauses(c) for c in nested)
    return 1


def columns_used(kwargs: Mapping[str, Any]) -> set[str]:
    """The frame columns an expectation reads: its column arguments and the columns named in
    its row condition (serialised as nested ``{"column": {"name": ...}}`` and ``conditions``)."""
    found: set[str] = set()
    for key, value in kwargs.items():
        if key in ("column", "column_A", "column_B") and isinstance(value, str):
            found.add(value)
        elif key == "column" and isinstance(value, Mapping) and "name" in value:
            found.add(str(value["name"]))
        elif key == "column_list" and isinstance(value, list):
            found.update(str(v) for v in value)
        elif key == "row_condition" and isinstance(value, Mapping):
            found |= columns_used(value)
        elif key == "conditions" and isinstance(value, list):
            for condition in value:
                if isinstance(condition, Mapping):
                    found |= columns_used(condition)
    return found


def _collect(result: Any, frame: pd.DataFrame, rules: Rules, report: ValidationReport) -> None:
    rule = result.expectation_config.meta["rule"]
    check = CHECKS_BY_RULE[rule]
    info = result.exception_info or {}
    if info.get("raised_exception"):
        raise ValidationRunError(f"check {rule} could not run: {info.get('exception_message')}")
    if result.success:
        return
    index_list = result.result.get("unexpected_index_list")
    if index_list is None:
        raise RowIdentificationError(f"check {rule} failed but GX named no rows")
    failed = frame.loc[[item["row_id"] for item in index_list]]
    report.findings.extend(_finding(check, record, rules) for record in failed.to_dict("records"))
