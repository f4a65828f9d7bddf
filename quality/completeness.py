"""Completeness and timeliness per agency and period, as DHIS2 defines them.

An agency is expected to report for a month when at least one of its active IKU expects a value
that month (monthly IKU every month, quarterly in Mar/Jun/Sep/Dec, semester in Jun/Dec; annual
IKU have no fixed month and never make a report "expected"). Reporting rate = reports received /
reports expected; on-time rate = reports received by the deadline / reports expected (DHIS2
"reporting rate" and "reporting rate on time"). A report is the agency's current submission
for the period, whatever validation made of its rows; a rejected file is not a report.
Value completeness counts the expected IKU values that arrived as accepted realisations.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iku import calendar
from iku import models as m
from iku.cycles import counted_submissions
from iku.rules import Rules
from quality.frame import deadline_of


@dataclass(frozen=True)
class AgencyCompleteness:
    agency_code: str
    agency_name: str
    expected_reports: int
    received_reports: int
    on_time_reports: int
    expected_values: int
    received_values: int
    received_at: str | None


@dataclass(frozen=True)
class Completeness:
    period: str
    agencies: list[AgencyCompleteness]

    def _rate(self, numerator: int, denominator: int) -> float | None:
        return 100.0 * numerator / denominator if denominator else None

    @property
    def expected_reports(self) -> int:
        return sum(a.expected_reports for a in self.agencies)

    @property
    def reporting_rate(self) -> float | None:
        """Percent of expected reports received."""
        received = sum(min(a.received_reports, a.expected_reports) for a in self.agencies)
        return self._rate(received, self.expected_reports)

    @property
    def on_time_rate(self) -> float | None:
        """Percent of expected reports received by the deadline."""
        on_time = sum(min(a.on_time_reports, a.expected_reports) for a in self.agencies)
        return self._rate(on_time, self.expected_reports)

    @property
    def value_completeness(self) -> float | None:
        """Percent of expected IKU values received as accepted realisations."""
        expected = sum(a.expected_values for a in self.agencies)
        return self._rate(sum(a.received_values for a in self.agencies), expected)


def completeness(
    session: Session, period: str, rules: Rules, snapshot_cycle_id: int | None = None
) -> Completeness:
    """Reporting and on-time rates of every agency with active IKU, for one period (the
    values received: of a cycle run's snapshot, when given)."""
    month = int(period[5:7])
    deadline = deadline_of(period, rules)
    indicators = session.execute(
        select(m.Indicator.id, m.Indicator.frequency, m.Agency.code, m.Agency.name)
        .join(m.Agency, m.Agency.id == m.Indicator.agency_id)
        .where(m.Indicator.is_active.is_(True))
    ).all()
    expected_by_agency: dict[str, set[int]] = {}
    names: dict[str, str] = {}
    for indicator_id, frequency, code, name in indicators:
        names[code] = name
        expected_by_agency.setdefault(code, set())
        if calendar.is_due(frequency, month):
            expected_by_agency[code].add(indicator_id)
    current = session.execute(
        select(m.Agency.code, func.min(m.Submission.received_at))
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(m.Submission.period == period, m.Submission.status.in_(("validated", "superseded")))
        .group_by(m.Agency.code)
    ).all()
    first_received = {code: received for code, received in current}
    accepted = session.execute(
        select(m.Agency.code, m.Realisation.indicator_id)
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(
            m.Realisation.period == period,
            m.Submission.status == "validated"
            if snapshot_cycle_id is None
            else counted_submissions(snapshot_cycle_id),
            m.Realisation.state == "angka",
        )
    ).all()
    values_by_agency: dict[str, set[int]] = {}
    for code, indicator_id in accepted:
        values_by_agency.setdefault(code, set()).add(indicator_id)
    rows = []
    for code in sorted(expected_by_agency):
        expected_ids = expected_by_agency[code]
        received_at = first_received.get(code)
        rows.append(
            AgencyCompleteness(
                agency_code=code,
                agency_name=names[code],
                expected_reports=int(bool(expected_ids)),
                received_reports=int(received_at is not None),
                on_time_reports=int(received_at is not None and received_at <= deadline),
                expected_values=len(expected_ids),
                received_values=len(expected_ids & values_by_agency.get(code, set())),
                received_at=received_at.isoformat() if received_at is not None else None,
            )
        )
    return Completeness(period, rows)
