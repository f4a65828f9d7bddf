"""The achievement figures of a period as rows (the REST API's ``/api/v1/achievements``).

:func:`achievement_rows` is the one function that decides the columns, so the rows can later
follow ``iku export``'s ``capaian.csv`` by changing it alone. Agency scope: an actor limited to
some agencies gets their IKU and agency rows only; sector and province rows aggregate every
agency and go to actors who see every agency.
"""

from __future__ import annotations

import math
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from iku import models as m

COLUMNS: Final = (
    "level",
    "agency_code",
    "indicator_code",
    "sector",
    "period",
    "target_text",
    "target_version",
    "realisasi",
    "realisasi_state",
    "capaian_raw",
    "capaian_scored",
    "predikat",
    "ytd_realisasi",
    "ytd_target",
    "ytd_capaian",
    "trend_delta",
    "projection",
    "is_at_risk",
    "n_included",
    "n_missing",
    "flags",
    "note",
)


def _number(value: float | None) -> float | None:
    """A figure, with NaN (no figure) as None: JSON has no NaN."""
    return None if value is None or math.isnan(value) else value


_LEVEL_ORDER: Final = {"province": 0, "sector": 1, "agency": 2, "indicator": 3}


def achievement_rows(
    session: Session, *, period: str, agencies: frozenset[str] | None
) -> list[dict[str, Any]]:
    """The period's achievement rows as plain values (``agencies`` None: every agency and the
    sector and province rows; else only those agencies' IKU and agency rows)."""
    agency = aliased(m.Agency)
    query = (
        select(m.Achievement, agency.code, m.Indicator.code)
        .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Achievement.cycle_id)
        .outerjoin(agency, agency.id == m.Achievement.agency_id)
        .outerjoin(m.Indicator, m.Indicator.id == m.Achievement.indicator_id)
        .where(m.EvaluationCycle.period == period)
    )
    if agencies is not None:
        query = query.where(agency.code.in_(sorted(agencies)))
    rows: list[dict[str, Any]] = []
    for a, agency_code, indicator_code in session.execute(query).all():
        rows.append(
            {
                "level": a.level,
                "agency_code": agency_code,
                "indicator_code": indicator_code,
                "sector": a.sector,
                "period": a.period,
                "target_text": a.target_text,
                "target_version": a.target_version,
                "realisasi": _number(a.realisasi),
                "realisasi_state": a.realisasi_state,
                "capaian_raw": _number(a.capaian_raw),
                "capaian_scored": _number(a.capaian_scored),
                "predikat": a.predikat,
                "ytd_realisasi": _number(a.ytd_realisasi),
                "ytd_target": _number(a.ytd_target),
                "ytd_capaian": _number(a.ytd_capaian),
                "trend_delta": _number(a.trend_delta),
                "projection": _number(a.projection),
                "is_at_risk": bool(a.is_at_risk),
                "n_included": a.n_included,
                "n_missing": a.n_missing,
                "flags": list(a.flags or []),
                "note": a.note,
            }
        )
    rows.sort(
        key=lambda r: (
            _LEVEL_ORDER.get(r["level"], 9),
            r["sector"] or "",
            r["agency_code"] or "",
            r["indicator_code"] or "",
        )
    )
    return rows
