"""Validation judges a cumulative IKU's value against the target line to date, as the engine
does (issue 13, "cumulative coverage judged against year-end every month"), on PostgreSQL and
SQLite.

Validation used to compare every value with the annual target: dengue incidence since January
(DINKES-01, negative, ``< 49``) exactly on plan in March, 12 against the line 12,25, read
(2 x 49 - 12) / 49 = 175% and was held out of the aggregates as "capaian above 150%" while the
engine gave it 102%. The line is the policy ``year_to_date.cumulative_target``; with ``annual``
the year-end target is the comparison again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from iku import models as m
from iku.db import session_scope
from iku.rules import load_rules
from tests.conftest import RULES_FILE
from tests.integration.figure_fixtures import stage, validate
from tests.unit.test_capaian import changed

RULES = load_rules(RULES_FILE)
ANNUAL = changed("year_to_date.cumulative_target", "annual")

# name: IKU, period, realisasi as written, rules, flagged capaian_over_150, words in the message
CASES = {
    # Line in March: 49 x 3/12 = 12,25; (2 x 12,25 - 12) / 12,25 = 102%.
    "negative cumulative on its line": ("DINKES-01", "2026-03", "12", RULES, False, None),
    # Against the year-end target: (98 - 12) / 49 = 175%, the old false alarm.
    "the same value against the year-end target (policy annual)": (
        "DINKES-01",
        "2026-03",
        "12",
        ANNUAL,
        True,
        "terhadap target <49",
    ),
    # Immunisation on plan in March: 95 x 3/12 = 23,75.
    "positive cumulative on its line": ("DINKES-02", "2026-03", "23,75", RULES, False, None),
    # 40 in February against the line 15,83: 252,6%, a real doubt.
    "positive cumulative far above its line": (
        "DINKES-02",
        "2026-02",
        "40",
        RULES,
        True,
        "terhadap target s.d. bulan ini 15,83 (akhir tahun 95)",
    ),
    # Not cumulative: the period's target as before (NDR 2,1 against < 25 with T/R: 1.190%).
    "a non-cumulative IKU keeps its period target": (
        "RSUDAM-04",
        "2026-03",
        "2,1",
        RULES,
        True,
        "terhadap target < 25",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_a_cumulative_value_is_judged_against_the_line_to_date(loaded: Engine, name: str) -> None:
    code, period, written, rules, flagged, words = CASES[name]
    agency = code.rsplit("-", 1)[0]
    stage(loaded, agency, period, {code: written})
    validate(loaded, period, rules)
    with session_scope(loaded) as session:
        found = session.scalars(
            select(m.ValidationIssue.message).where(
                m.ValidationIssue.rule == "capaian_over_150",
                m.ValidationIssue.indicator_code == code,
            )
        ).all()
    assert bool(found) is flagged, found
    if words is not None:
        assert words in found[0]
