"""The public transparency pages (``/publik/``): only published periods, no sign-in.

A period is public when the bureau has locked and published it (:mod:`iku.periods`); every
other period (open, locked but unpublished, reopened, never computed, malformed) is
:class:`NotPublished`, which the web answers with 404 on every public address. The open data
is produced by the same code as ``iku export`` (:func:`iku.operations.export.capaian_csv`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from iku.calendar import Period, PeriodError
from iku.db import session_scope
from iku.operations.export import capaian_csv
from iku.periods import AgencyPeriod, agency_periods, is_published, published_periods
from iku.reports.capaian import CAPAIAN_COLUMNS, PROVINCE_CODE, capaian_rows
from iku.runtime import Runtime


class NotPublished(LookupError):
    """The period is not on the public pages (the web answers 404)."""


@dataclass(frozen=True)
class PublicPeriod:
    period: str
    rules_version: str
    province: dict[str, Any] | None
    agencies: list[dict[str, Any]]
    approvals: dict[str, AgencyPeriod]


def _published(text: str) -> str:
    try:
        period = str(Period.parse(text))
    except (PeriodError, ValueError):
        raise NotPublished(text) from None
    return period


def public_periods(rt: Runtime) -> list[str]:
    """The published periods, latest first."""
    with session_scope(rt.engine) as session:
        return published_periods(session)


def _rows(rt: Runtime, period: str) -> list[dict[str, Any]]:
    chosen = _published(period)
    with session_scope(rt.engine) as session:
        if not is_published(session, chosen):
            raise NotPublished(chosen)
        rows = capaian_rows(session, chosen, rt.rules)
    if not rows:
        raise NotPublished(chosen)
    return rows


def public_csv(rt: Runtime, period: str) -> str:
    """``capaian.csv`` of a published period: exactly what ``iku export`` writes."""
    return capaian_csv(_rows(rt, period))


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


def public_records(rt: Runtime, period: str) -> list[dict[str, Any]]:
    """The rows of ``capaian.csv`` as records (the JSON twin), the same columns in order."""
    return [
        {column: _json_value(row.get(column)) for column in CAPAIAN_COLUMNS}
        for row in _rows(rt, period)
    ]


def public_period(rt: Runtime, period: str) -> PublicPeriod:
    """A published period's province and agency figures, its rules version and approvals."""
    rows = _rows(rt, period)
    chosen = _published(period)
    with session_scope(rt.engine) as session:
        from iku.cycles import cycle_of

        cycle = cycle_of(session, chosen)
        version = (cycle.rules_version if cycle is not None else None) or rt.rules.version
        approvals = {a.agency_code: a for a in agency_periods(session, chosen)}
        names = {a.agency_code: a.agency_name for a in approvals.values()}
    province = next((r for r in rows if r["agency_code"] == PROVINCE_CODE), None)
    agencies = [
        {**r, "agency_name": names.get(str(r["agency_code"]), r["agency_code"])}
        for r in rows
        if r["level"] == "agency"
    ]
    return PublicPeriod(chosen, version, province, agencies, approvals)
