"""The figures of a period as rows for readers: the REST API's ``/api/v1/achievements`` and the
public pages, the same rows as ``iku export``'s ``capaian.csv`` (:mod:`iku.reports.capaian`).

Agency scope: an actor limited to some agencies gets their IKU and agency rows only; sector
and province rows aggregate every agency and go to actors who see every agency.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from iku.reports.capaian import capaian_rows
from iku.rules import Rules


def achievement_rows(
    session: Session, *, period: str, agencies: frozenset[str] | None, rules: Rules
) -> list[dict[str, Any]]:
    """The period's rows of ``capaian.csv`` as JSON values (``agencies`` None: every agency,
    sector and the province)."""
    return capaian_rows(session, period, rules, agencies=agencies)
