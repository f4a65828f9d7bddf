"""Where leaders should act ("perlu tindakan") for a computed period, as one list of items.

The reasons, in the order leaders read them (``reason`` codes are what ``perlu_tindakan.csv``
and the API carry; the bulletins print the labels):

- ``belum_melapor``: an agency with IKU due this period has sent no report for it;
- ``tidak_tercapai``: an IKU whose realisasi did not meet its target as written;
- ``capaian_rendah``: an agency or IKU whose year to date is below the band
  ``rules.attention.low_below_band``;
- ``proyeksi_berisiko``: an IKU projected to end the year below ``projection.at_risk_below_band``;
- ``menunggu_verifikasi``: an IKU whose value waits for a steward's verification (held out of
  the aggregates);
- ``isu_data_terbuka``: open data-quality issues of any period up to this one, older than
  ``rules.attention.stale_issue_days`` (one item per agency).

Never "nothing to report" while any of these exists: the list is all of them.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from iku import calendar
from iku import capaian as cp
from iku import models as m
from iku.cycles import cycle_of
from iku.formatting import angka, tanggal
from iku.reports.issues import age_days, open_issues, opened_at
from iku.rules import Rules
from quality.completeness import Completeness, completeness
from quality.frame import deadline_of

REASONS: Final = (
    "belum_melapor",
    "tidak_tercapai",
    "capaian_rendah",
    "proyeksi_berisiko",
    "menunggu_verifikasi",
    "isu_data_terbuka",
)
REASON_LABELS: Final = {
    "belum_melapor": "Belum melapor",
    "tidak_tercapai": "Target tidak tercapai",
    "capaian_rendah": "Capaian rendah",
    "proyeksi_berisiko": "Proyeksi berisiko",
    "menunggu_verifikasi": "Menunggu verifikasi",
    "isu_data_terbuka": "Isu data terbuka",
}
ATTENTION_COLUMNS: Final = ("agency_code", "indicator_code", "reason", "detail")


@dataclass(frozen=True)
class AttentionItem:
    agency_code: str
    agency_name: str
    indicator_code: str | None
    indicator_name: str | None
    reason: str
    detail: str

    @property
    def label(self) -> str:
        return REASON_LABELS[self.reason]

    def as_row(self) -> dict[str, str | None]:
        return {
            "agency_code": self.agency_code,
            "indicator_code": self.indicator_code,
            "reason": self.reason,
            "detail": self.detail,
        }


def _pct(value: float) -> str:
    return f"{angka(value, 2, 0)}%"


def attention_items(
    session: Session,
    period: str,
    rules: Rules,
    *,
    as_of: datetime,
    rates: Completeness | None = None,
    figures: Sequence[FigureRow] | None = None,
) -> list[AttentionItem]:
    """Every item needing action for ``period`` as of ``as_of`` (issue ages count to it, as
    :mod:`iku.reports.issues` ages them; callers pass the period's
    :func:`~iku.reports.issues.reference_date`; ``rates``: the period's completeness when the
    caller already computed it; ``figures``: the cycle's :func:`figure_rows` when the caller
    already read them)."""
    cycle = cycle_of(session, period)
    # Rows, not the result: SQLAlchemy 2.1's Result has keys(), so dict() read it as a mapping.
    names: dict[str, str] = {
        code: name for code, name in session.execute(select(m.Agency.code, m.Agency.name))
    }
    items: list[AttentionItem] = []

    if rates is None:
        rates = completeness(session, period, rules)
    deadline = deadline_of(period, rules)
    for agency in rates.agencies:
        if agency.expected_reports and not agency.received_reports:
            items.append(
                AttentionItem(
                    agency.agency_code,
                    agency.agency_name,
                    None,
                    None,
                    "belum_melapor",
                    f"Belum ada laporan {calendar.label(period)}; batas pengiriman "
                    f"{tanggal(deadline)}.",
                )
            )

    if cycle is not None:
        items += _figures(figure_rows(session, cycle.id) if figures is None else figures, rules)

    stale: dict[str, list[datetime]] = defaultdict(list)
    for issue in open_issues(session, period):
        if age_days(issue, as_of, rules) >= rules.attention.stale_issue_days:
            stale[issue.agency_code].append(opened_at(issue, rules))
    for code, created in sorted(stale.items()):
        oldest = min(created)
        items.append(
            AttentionItem(
                code,
                names.get(code, code),
                None,
                None,
                "isu_data_terbuka",
                f"{len(created)} isu data terbuka lebih dari "
                f"{rules.attention.stale_issue_days} hari; yang tertua sejak {tanggal(oldest)}.",
            )
        )
    order = {reason: i for i, reason in enumerate(REASONS)}
    items.sort(key=lambda i: (order[i.reason], i.agency_code, i.indicator_code or ""))
    return items


class FigureRow(NamedTuple):
    """The columns of one indicator or agency ``achievement`` row "perlu tindakan" reads, with
    the names of its agency and indicator (None for an agency row)."""

    level: str
    tercapai: bool | None
    realisasi: float | None
    target_text: str | None
    ytd_capaian: float | None
    capaian_scored: float | None
    is_at_risk: bool | None
    projection: float | None
    awaiting_verification: bool | None
    agency_code: str
    agency_name: str
    indicator_code: str | None
    indicator_name: str | None
    scale: str | None


def figure_rows(session: Session, cycle_id: int) -> list[FigureRow]:
    """The indicator and agency rows of a cycle, as :func:`attention_items` reads them."""
    a = m.Achievement
    # Columns, not ORM objects: a 640-agency period has thousands of rows.
    rows = session.execute(
        select(
            a.level,
            a.tercapai,
            a.realisasi,
            a.target_text,
            a.ytd_capaian,
            a.capaian_scored,
            a.is_at_risk,
            a.projection,
            a.awaiting_verification,
            m.Agency.code,
            m.Agency.name,
            m.Indicator.code,
            m.Indicator.name,
            m.Indicator.scale,
        )
        .join(m.Agency, m.Agency.id == a.agency_id)
        .outerjoin(m.Indicator, m.Indicator.id == a.indicator_id)
        .where(a.cycle_id == cycle_id, a.level.in_(("indicator", "agency")))
    )
    return [FigureRow._make(found) for found in rows]


def _figures(rows: Iterable[FigureRow], rules: Rules) -> list[AttentionItem]:
    """The items the computed figures show: targets missed, low, at risk, awaiting checks."""
    low = cp.band_lower(rules.attention.low_below_band, rules.predikat)
    at_risk = rules.predikat.band(rules.projection.at_risk_below_band).label
    items = []
    for row in rows:
        scale = row.scale
        indicator = row.level == "indicator"
        subject = (
            row.agency_code,
            row.agency_name,
            row.indicator_code if indicator else None,
            row.indicator_name if indicator else None,
        )

        if indicator and row.tercapai is False and row.realisasi is not None:
            items.append(
                AttentionItem(
                    *subject,
                    "tidak_tercapai",
                    f"Realisasi {_realisasi(row.realisasi, scale, rules)} belum mencapai target "
                    f"{row.target_text or '-'}.",
                )
            )
        figure = row.ytd_capaian if indicator else row.capaian_scored
        scored = row.capaian_scored if not indicator else _scored(row.ytd_capaian, rules)
        if scored is not None and scored < low and figure is not None:
            label = rules.predikat.band(cp.predikat([scored], rules.predikat)[0]).label
            what = "Capaian s.d. bulan ini" if indicator else "Capaian OPD s.d. bulan ini"
            detail = f"{what} {_pct(figure)} ({label})."
            items.append(AttentionItem(*subject, "capaian_rendah", detail))
        if indicator and row.is_at_risk and row.projection is not None:
            items.append(
                AttentionItem(
                    *subject,
                    "proyeksi_berisiko",
                    f"Proyeksi akhir tahun {_pct(row.projection)}, di bawah predikat {at_risk}.",
                )
            )
        if indicator and row.awaiting_verification:
            items.append(
                AttentionItem(
                    *subject,
                    "menunggu_verifikasi",
                    "Nilainya menunggu verifikasi pengelola data; belum dihitung dalam capaian "
                    "OPD, sektor dan provinsi.",
                )
            )
    return items


def _scored(raw: float | None, rules: Rules) -> float | None:
    if raw is None:
        return None
    return float(cp.score([raw], rules.scoring)[0])


def _realisasi(value: float, scale: str | None, rules: Rules) -> str:
    """A realisasi as the agency wrote it: a number, or a qualitative IKU's grade ("WDP")."""
    if scale is not None:
        with contextlib.suppress(KeyError):  # a scale the rules file no longer has: the score
            grade = rules.scale(scale).grade(value)
            if grade is not None:
                return grade
    return angka(value, 2, 0)
