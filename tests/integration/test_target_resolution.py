"""One target resolver: the Excel template, ingestion's magnitude check, validation and the engine
agree on the target in force (issue 12: a Perubahan PK revising an annual target that has a
monthly breakdown)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from iku import models as m
from iku.db import session_scope
from iku.engine.store import compute_period
from iku.ingest.context import IngestContext
from iku.ingest.template import spec_for_agency
from iku.rules import load_rules
from iku.settings import TIMEZONE
from quality.frame import target_frame
from tests.conftest import RULES_FILE

CODE = "UJI-01"


def _catalog(engine: Engine) -> int:
    """An agency with one monthly ``sum`` IKU: annual 1.200 with an October breakdown of 100
    (PK, version 1), then a Perubahan PK raising the annual target to 2.400 from July (v2)."""
    with session_scope(engine) as session:
        agency = m.Agency(code="UJI", name="Dinas Uji", kind="opd", sector="ekonomi")
        session.add(agency)
        session.flush()
        indicator = m.Indicator(
            code=CODE,
            agency_id=agency.id,
            name="Jumlah layanan",
            unit="layanan",
            polarity="positive",
            consolidation="sum",
            frequency="monthly",
            sector="ekonomi",
        )
        session.add(indicator)
        session.flush()
        for key, text, value, version, start in (
            ("annual", "1.200", 1200.0, 1, date(2026, 1, 1)),
            ("M10", "100", 100.0, 1, date(2026, 1, 1)),
            ("annual", "2.400", 2400.0, 2, date(2026, 7, 1)),
        ):
            session.add(
                m.Target(
                    indicator_id=indicator.id,
                    year=2026,
                    period_key=key,
                    lower=value,
                    upper=value,
                    comparator="eq",
                    original_text=text,
                    version=version,
                    effective_from=start,
                )
            )
        return indicator.id


@pytest.mark.parametrize(
    ("period", "expected", "template_text"),
    [
        # June: v1 is in force with no June breakdown, so the annual 1.200 is pro-rated (1/12).
        ("2026-06", 100.0, "1.200; periode ini: 100"),
        # October: v2 is in force; the October row belongs to v1, so v2 is pro-rated: 200.
        ("2026-10", 200.0, "2.400 (Perubahan PK, versi 2); periode ini: 200"),
    ],
)
def test_every_stage_sees_the_same_target(
    migrated: Engine, tmp_path: object, period: str, expected: float, template_text: str
) -> None:
    indicator_id = _catalog(migrated)
    rules = load_rules(RULES_FILE)

    with session_scope(migrated) as session:
        compute_period(session, period, rules)
        engine_target = session.scalars(
            select(m.Achievement.target_lower).where(
                m.Achievement.subject_key == f"indicator:{CODE}"
            )
        ).one()
        indicators = pd.DataFrame(
            {"indicator_id": [indicator_id], "frequency": ["monthly"], "consolidation": ["sum"]}
        )
        validation = target_frame(session, indicators, period)
    context = IngestContext.load(migrated, rules, archive_dir=tmp_path, output_dir=tmp_path)  # type: ignore[arg-type]
    reference, _, _ = context.magnitude("UJI", CODE, period) or (None, None, None)
    spec = spec_for_agency(context, "UJI", period, datetime(2026, 11, 1, tzinfo=TIMEZONE))

    assert engine_target == expected
    assert validation["target_lower"].tolist() == [expected]
    assert reference == expected
    assert [row.target_text for row in spec.rows] == [template_text]
