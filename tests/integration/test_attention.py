"""Issue 13, "Perlu tindakan" on PostgreSQL and SQLite: where leaders should act, for a computed
period (:func:`iku.reports.attention.attention_items`), and the open data issues everyone counts
(:func:`iku.reports.issues.open_issues`).

Two agencies with one monthly IKU each (target 100) keep every case small enough to list the
whole expected attention list: an item appears for every reason that exists and for nothing
else, so the list is never empty while any exists (and empty when nothing needs action).
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from iku import models as m
from iku.db import session_scope
from iku.engine.store import compute_period
from iku.reports.attention import REASONS, attention_items
from iku.reports.issues import open_issues
from iku.rules import Rules, load_rules, parse_rules
from iku.settings import TIMEZONE
from quality.review import reject_issue
from tests.conftest import RULES_FILE
from tests.integration.figure_fixtures import stage, validate
from tests.integration.test_achievement import submit
from tests.unit.test_capaian import _rules_data

RULES = load_rules(RULES_FILE)
PERIOD = "2026-10"
#: The evaluation (10 November): the day the attention list is drawn up.
AS_OF = datetime(2026, 11, 10, 9, tzinfo=TIMEZONE)
#: When each period's issues were opened: September's 35 days before, October's 6 days before.
OPENED = {
    "2026-09": datetime(2026, 10, 6, 9, tzinfo=TIMEZONE),
    "2026-10": datetime(2026, 11, 4, 9, tzinfo=TIMEZONE),
    "2026-11": datetime(2026, 11, 8, 9, tzinfo=TIMEZONE),
}


@pytest.fixture
def two_agencies(migrated: Engine) -> Engine:
    """UJI (ekonomi) and LAIN (sosial), each with one monthly `last` IKU, annual target 100."""
    with session_scope(migrated) as session:
        for code, sector in (("UJI", "ekonomi"), ("LAIN", "sosial")):
            agency = m.Agency(code=code, name=f"Dinas {code.title()}", kind="opd", sector=sector)
            session.add(agency)
            session.flush()
            indicator = m.Indicator(
                code=f"{code}-01",
                agency_id=agency.id,
                name="Persentase layanan tepat waktu",
                unit="%",
                polarity="positive",
                consolidation="last",
                frequency="monthly",
                sector=sector,
                min_value=0.0,
                max_value=1000.0,
            )
            session.add(indicator)
            session.flush()
            session.add(
                m.Target(
                    indicator_id=indicator.id,
                    year=2026,
                    period_key="annual",
                    lower=100.0,
                    upper=100.0,
                    comparator="eq",
                    original_text="100",
                    version=1,
                    effective_from=date(2026, 1, 1),
                )
            )
    return migrated


ON_PLAN = {8: 100.0, 9: 100.0, 10: 100.0}

# name: (realisasi per agency and month: a number is an accepted value, a text a cell that
#        validation routes; October rejected as a whole when the month is "ditolak"),
#        the September issue decided, policy changes, the expected items (reason, agency, IKU)
SCENARIOS: dict[str, tuple[dict[str, dict[int, Any]], bool, dict[str, Any], set[Any]]] = {
    "nobody reported": (
        {},
        False,
        {},
        {("belum_melapor", "LAIN", None), ("belum_melapor", "UJI", None)},
    ),
    "everything on target: nothing to act on": (
        {"UJI": ON_PLAN, "LAIN": ON_PLAN},
        False,
        {},
        set(),
    ),
    "a rejected file is not a report": (
        {"UJI": {8: 100.0, 9: 100.0, 10: "ditolak"}, "LAIN": ON_PLAN},
        False,
        {},
        {("belum_melapor", "UJI", None)},
    ),
    # 95 is Sangat Tinggi, but below the target of 100.
    "a target missed in the top band": (
        {"UJI": {8: 95.0, 9: 95.0, 10: 95.0}, "LAIN": ON_PLAN},
        False,
        {},
        {("tidak_tercapai", "UJI", "UJI-01")},
    ),
    # 50: below Sedang (attention.low_below_band), projected below Tinggi.
    "a low year to date": (
        {"UJI": {8: 50.0, 9: 50.0, 10: 50.0}, "LAIN": ON_PLAN},
        False,
        {},
        {
            ("tidak_tercapai", "UJI", "UJI-01"),
            ("capaian_rendah", "UJI", "UJI-01"),
            ("capaian_rendah", "UJI", None),
            ("proyeksi_berisiko", "UJI", "UJI-01"),
        },
    ),
    "the low band is the rules file's": (
        {"UJI": {8: 70.0, 9: 70.0, 10: 70.0}, "LAIN": ON_PLAN},
        False,
        {"attention.low_below_band": "T", "projection.at_risk_below_band": "S"},
        {
            ("tidak_tercapai", "UJI", "UJI-01"),
            ("capaian_rendah", "UJI", "UJI-01"),
            ("capaian_rendah", "UJI", None),
        },
    ),
    # On target now, falling 15 points a month: 70 by December.
    "projected at risk while on target": (
        {"UJI": {8: 130.0, 9: 115.0, 10: 100.0}, "LAIN": ON_PLAN},
        False,
        {},
        {("proyeksi_berisiko", "UJI", "UJI-01")},
    ),
    # 300 against 100: capaian_over_150, held out of the aggregates (its issue is 6 days old).
    "a value awaiting verification": (
        {"UJI": {8: 100.0, 9: 100.0, 10: "300"}, "LAIN": ON_PLAN},
        False,
        {},
        {("menunggu_verifikasi", "UJI", "UJI-01")},
    ),
    # September's unreadable row has been open for 35 days (attention.stale_issue_days 14).
    "an open issue of an earlier month": (
        {"UJI": {8: 100.0, 9: "seratus", 10: 100.0}, "LAIN": ON_PLAN},
        False,
        {},
        {("isu_data_terbuka", "UJI", None)},
    ),
    "a younger open issue is not stale yet": (
        {"UJI": {8: 100.0, 9: "seratus", 10: 100.0}, "LAIN": ON_PLAN},
        False,
        {"attention.stale_issue_days": 40},
        set(),
    ),
    "a decided issue is not open": (
        {"UJI": {8: 100.0, 9: "seratus", 10: 100.0}, "LAIN": ON_PLAN},
        True,
        {},
        set(),
    ),
    "a later month's issue does not count for October": (
        {"UJI": {8: 100.0, 9: 100.0, 10: 100.0, 11: "seratus"}, "LAIN": ON_PLAN},
        False,
        {},
        set(),
    ),
}


def _build(engine: Engine, values: dict[str, dict[int, Any]], decide_september: bool) -> None:
    for month in range(8, 12):
        period = f"2026-{month:02d}"
        staged = False
        for agency, series in values.items():
            value = series.get(month)
            if value is None:
                continue
            if value == "ditolak":
                submit(engine, agency, period, {f"{agency}-01": 100.0}, status="rejected")
            elif isinstance(value, str):
                stage(engine, agency, period, {f"{agency}-01": value})
                staged = True
            else:
                submit(engine, agency, period, {f"{agency}-01": value})
        if staged:
            validate(engine, period, RULES)
    with session_scope(engine) as session:
        for period, opened in OPENED.items():
            session.execute(
                update(m.ValidationIssue)
                .where(m.ValidationIssue.period == period)
                .values(created_at=opened)
            )
    if decide_september:
        with session_scope(engine) as session:
            september = session.scalars(
                select(m.ValidationIssue.id).where(m.ValidationIssue.period == "2026-09")
            ).one()
            reject_issue(session, september, by="rina", note="dikirim ulang lewat telepon")


def _rules(policy: dict[str, Any]) -> Rules:
    """The repository's rules with the keys of ``policy`` changed, validated like the file."""
    data = copy.deepcopy(_rules_data())
    for key, value in policy.items():
        *parents, last = key.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
    return parse_rules(data, f"rules with {policy}")


@pytest.mark.parametrize("name", SCENARIOS)
def test_perlu_tindakan_lists_every_reason_that_exists(two_agencies: Engine, name: str) -> None:
    values, decide_september, policy, expected = SCENARIOS[name]
    _build(two_agencies, values, decide_september)
    rules = _rules(policy)
    with session_scope(two_agencies) as session:
        compute_period(session, PERIOD, rules)
    with session_scope(two_agencies) as session:
        items = attention_items(session, PERIOD, rules, as_of=AS_OF)
    found = {(i.reason, i.agency_code, i.indicator_code) for i in items}
    assert found == expected
    assert bool(items) is bool(expected)  # never "nothing to report" while any exists
    assert [i.reason for i in items] == sorted(
        (i.reason for i in items), key=REASONS.index
    )  # in the order leaders read them
    for item in items:
        assert item.detail and item.label  # Indonesian words, never a bare code
        assert item.agency_name.startswith("Dinas ")


def test_the_details_say_what_to_act_on(two_agencies: Engine) -> None:
    _build(two_agencies, {"UJI": {8: 50.0, 9: "seratus", 10: 50.0}}, False)
    with session_scope(two_agencies) as session:
        compute_period(session, PERIOD, RULES)
    with session_scope(two_agencies) as session:
        details = {
            (i.reason, i.indicator_code): i.detail
            for i in attention_items(session, PERIOD, RULES, as_of=AS_OF)
        }
    assert details[("belum_melapor", None)] == (
        "Belum ada laporan Oktober 2026; batas pengiriman 5 November 2026."
    )
    assert details[("tidak_tercapai", "UJI-01")] == "Realisasi 50 belum mencapai target 100."
    assert details[("capaian_rendah", "UJI-01")] == "Capaian s.d. bulan ini 50% (Sangat Rendah)."
    assert details[("capaian_rendah", None)] == "Capaian OPD s.d. bulan ini 50% (Sangat Rendah)."
    assert details[("isu_data_terbuka", None)] == (
        "1 isu data terbuka lebih dari 14 hari; yang tertua sejak 6 Oktober 2026."
    )


def test_open_issues_of_earlier_months_are_counted(two_agencies: Engine) -> None:
    _build(
        two_agencies,
        {"UJI": {8: "delapan", 9: "seratus", 10: "sepuluh", 11: "sebelas"}, "LAIN": ON_PLAN},
        False,
    )
    with session_scope(two_agencies) as session:
        august = session.scalars(
            select(m.ValidationIssue.id).where(m.ValidationIssue.period == "2026-08")
        ).one()
        reject_issue(session, august, by="rina", note="tidak dipakai")
    with session_scope(two_agencies) as session:
        counted = open_issues(session, PERIOD)
        uji = session.scalars(select(m.Agency.id).where(m.Agency.code == "UJI")).one()
        lain = session.scalars(select(m.Agency.id).where(m.Agency.code == "LAIN")).one()
        assert len(open_issues(session, PERIOD, agency_ids=[uji])) == 2
        assert open_issues(session, PERIOD, agency_ids=[lain]) == []
    # August was decided; November is after the period: September and October stay counted.
    assert [(i.period, i.rule, i.agency_code) for i in counted] == [
        ("2026-09", "not_a_number", "UJI"),
        ("2026-10", "not_a_number", "UJI"),
    ]


# When September's unreadable row was recorded; whether it is stale on 10 November; the date
# "perlu tindakan" gives (October); its age in days on October's review page.
RECORDED = {
    "recorded when validation found it": (datetime(2026, 10, 6, 9, tzinfo=TIMEZONE), True, 6, 34),
    # History loaded after its cycle (a simulated year, a replay) is recorded today: it counts
    # from September's evaluation (10 October, 06:00 WIB), not from the wall clock.
    "history loaded after its cycle": (datetime(2026, 12, 20, 9, tzinfo=TIMEZONE), True, 10, 31),
    # Recorded before October's reference date, but September's evaluation had found it.
    "history loaded the day before the evaluation": (
        datetime(2026, 11, 9, 9, tzinfo=TIMEZONE),
        True,
        10,
        31,
    ),
}


@pytest.mark.parametrize("name", RECORDED)
def test_an_issue_is_aged_in_the_cycle_s_time(two_agencies: Engine, name: str) -> None:
    from iku.bulletins.review_page import review_context
    from iku.reports.issues import age_days, reference_date

    recorded, stale, day, age = RECORDED[name]
    _build(two_agencies, {"UJI": {8: 100.0, 9: "seratus", 10: 100.0}, "LAIN": ON_PLAN}, False)
    with session_scope(two_agencies) as session:
        session.execute(
            update(m.ValidationIssue)
            .where(m.ValidationIssue.period == "2026-09")
            .values(created_at=recorded)
        )
    # The bulletins and the review page count to October's evaluation, whenever they are
    # rendered afterwards (here on 20 December).
    later = datetime(2026, 12, 20, 12, tzinfo=TIMEZONE)
    as_of = reference_date(PERIOD, RULES, later)
    assert as_of == datetime(2026, 11, 10, 6, tzinfo=TIMEZONE)
    with session_scope(two_agencies) as session:
        compute_period(session, PERIOD, RULES)
    with session_scope(two_agencies) as session:
        items = attention_items(session, PERIOD, RULES, as_of=as_of)
        (september,) = [i for i in open_issues(session, PERIOD) if i.period == "2026-09"]
        page = review_context(session, PERIOD, RULES, now=later)
    stale_items = [i for i in items if i.reason == "isu_data_terbuka"]
    assert bool(stale_items) is stale
    assert stale_items[0].detail.endswith(f"yang tertua sejak {day} Oktober 2026.")
    (uji,) = [g for g in page["agencies"] if g["code"] == "UJI"]
    ages = {row["period"]: row["age_days"] for row in uji["issues"]}
    assert ages["2026-09"] == age_days(september, as_of, RULES) == age


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Rendered on its evaluation day or later: the evaluation (rules: day 10, 06:00 WIB).
        (datetime(2026, 12, 20, 12, tzinfo=TIMEZONE), datetime(2026, 11, 10, 6, tzinfo=TIMEZONE)),
        # Rendered before it (an early run): now.
        (datetime(2026, 11, 7, 8, tzinfo=TIMEZONE), datetime(2026, 11, 7, 8, tzinfo=TIMEZONE)),
    ],
)
def test_the_reference_date_is_the_period_s_evaluation(now: datetime, expected: datetime) -> None:
    from iku.reports.issues import reference_date

    assert reference_date(PERIOD, RULES, now) == expected
    later_day = _rules({"submission.evaluation_day": 20})
    assert reference_date(PERIOD, later_day, datetime(2026, 12, 1, tzinfo=TIMEZONE)) == datetime(
        2026, 11, 20, 6, tzinfo=TIMEZONE
    )
