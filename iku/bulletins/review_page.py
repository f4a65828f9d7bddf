"""The stewards' review page for a period (HTML, Bahasa Indonesia).

Open issues by agency (row, rule, observed and expected values, severity, age), resolution
statistics, the trend of issues per period, reporting and on-time rates per agency, and every
check that validation ran, by suite, with how many issues it found this period. That last table
replaces Great Expectations' Data Docs (README, "Data-quality rules"): the same "what was checked
and what failed", in Bahasa Indonesia, without the internet and without 4 MB of static files per
period. Written to ``<output>/<period>/review/index.html``, which the bulletin index links to.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iku import flags
from iku import models as m
from iku.bulletins import charts
from iku.bulletins.html import copy_static, make_environment, render_html
from iku.bulletins.jobs import REVIEW_PAGE
from iku.calendar import shift_period
from iku.db import now_wib
from iku.formatting import Absent, bulan_singkat
from iku.reports.issues import age_days, reference_date
from iku.reports.issues import open_issues as open_issues_up_to
from iku.rules import Rules
from quality.checks import CHECKS
from quality.completeness import completeness
from quality.review import IssueView, list_issues
from quality.runner import SUITE_TITLES

STATUS_LABELS = {
    "open": "Terbuka",
    "accepted": "Diterima",
    "rejected": "Ditolak",
    "resolved": "Selesai otomatis",
}
SEVERITY_COLORS = {"blocking": "#8e24aa", "error": "#c62828", "warning": "#e0701b"}
TREND_MONTHS = 12


def _issue_row(issue: IssueView, age: int) -> dict[str, Any]:
    return {
        "id": issue.id,
        "file": issue.file_name,
        "row": issue.source_row if issue.source_row is not None else Absent("seluruh berkas"),
        "period": issue.period or "–",
        "indicator": issue.indicator_code or "–",
        "rule": flags.label(issue.rule),
        "rule_id": issue.rule,
        "severity": issue.severity,
        "severity_label": flags.SEVERITY_LABELS[issue.severity],
        "observed": issue.observed or "–",
        "expected": issue.expected or "–",
        "message": issue.message,
        "age_days": age,
    }


def review_context(
    session: Session,
    period: str,
    rules: Rules,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything the review page shows, as plain values."""
    now = now or now_wib()
    all_issues = list_issues(session, period=period, status=None)
    # The queue is not per month: an issue of an earlier period stays open until decided, so
    # the page lists every open issue up to this period, as the bulletins count them, aged to
    # the period's reference date as "perlu tindakan" ages them (iku.reports.issues).
    as_of = reference_date(period, rules, now)
    counted = {
        issue.id: age_days(issue, as_of, rules) for issue in open_issues_up_to(session, period)
    }
    open_issues = [i for i in list_issues(session, status="open") if i.id in counted]
    by_agency: dict[str, dict[str, Any]] = {}
    for issue in open_issues:
        group = by_agency.setdefault(
            issue.agency_code,
            {"code": issue.agency_code, "name": issue.agency_name, "issues": []},
        )
        group["issues"].append(_issue_row(issue, counted[issue.id]))
    decided = [i for i in all_issues if i.decided_at is not None]
    days = [(i.decided_at - i.created_at).total_seconds() / 86400 for i in decided if i.decided_at]
    status_counts = Counter(i.status for i in all_issues)
    severity_counts = Counter(i.severity for i in open_issues)

    first = shift_period(period, -(TREND_MONTHS - 1))
    per_period = dict(
        session.execute(
            select(m.Submission.period, func.count(m.ValidationIssue.id))
            .join(m.Submission, m.Submission.id == m.ValidationIssue.submission_id)
            .where(m.Submission.period >= first, m.Submission.period <= period)
            .group_by(m.Submission.period)
        ).all()
    )
    trend_periods = [shift_period(period, -k) for k in range(TREND_MONTHS - 1, -1, -1)]
    trend = [(p, int(per_period.get(p, 0))) for p in trend_periods]
    trend_svg = charts.distribution_chart(
        [(bulan_singkat(p), count, "#1f5f8b") for p, count in trend],
        label=f"Jumlah isu kualitas data per periode sampai {period}",
        width=520,
    )
    rates = completeness(session, period, rules)
    return {
        "meta": {
            "period": period,
            "generated_at": now,
            # The page shows the queue as it is when made (bulletins show their data's date).
            "date_label": "Dibuat",
            "issuer": rules.bulletin.issuer,
            "rules_version": rules.version,
            "scale_name": rules.predikat.scale_name,
        },
        "summary": {
            "open": len(open_issues),
            "by_severity": [
                {
                    "label": flags.SEVERITY_LABELS[s],
                    "count": severity_counts.get(s, 0),
                    "color": SEVERITY_COLORS[s],
                }
                for s in ("blocking", "error", "warning")
            ],
            "total": len(all_issues),
            "by_status": [
                {"label": STATUS_LABELS[s], "count": status_counts.get(s, 0)}
                for s in m.ISSUE_STATUSES
            ],
            "median_days": statistics.median(days) if days else Absent("belum ada keputusan"),
        },
        "agencies": sorted(by_agency.values(), key=lambda g: g["code"]),
        "trend": [{"period": p, "count": c} for p, c in trend],
        "trend_svg": Markup(trend_svg),
        "rates": {
            "reporting": rates.reporting_rate
            if rates.reporting_rate is not None
            else Absent("tidak ada laporan yang diharapkan"),
            "on_time": rates.on_time_rate
            if rates.on_time_rate is not None
            else Absent("tidak ada laporan yang diharapkan"),
            "iku_values": rates.value_completeness
            if rates.value_completeness is not None
            else Absent("tidak ada nilai yang diharapkan"),
            "agencies": [
                {
                    "code": a.agency_code,
                    "name": a.agency_name,
                    "expected": a.expected_reports,
                    "received": a.received_reports,
                    "on_time": a.on_time_reports,
                    "expected_values": a.expected_values,
                    "received_values": a.received_values,
                }
                for a in rates.agencies
                if a.expected_reports
            ],
        },
        "checks": _checks(all_issues),
    }


def _checks(issues: list[IssueView]) -> list[dict[str, Any]]:
    """Every check validation runs, by suite, with the issues it found in the period."""
    found = Counter(i.rule for i in issues)
    return [
        {
            "suite": title,
            "checks": [
                {
                    "title": c.title,
                    "severity_label": flags.SEVERITY_LABELS[c.severity],
                    "severity": c.severity,
                    "found": found.get(c.rule, 0),
                }
                for c in CHECKS
                if c.suite == suite
            ],
        }
        for suite, title in SUITE_TITLES.items()
        if any(c.suite == suite for c in CHECKS)
    ]


def render_review_page(
    session: Session, period: str, rules: Rules, out: Path, *, now: datetime | None = None
) -> Path:
    """Write the review page under ``out`` (the period's output folder) and return its path."""
    context = review_context(session, period, rules, now=now)
    context["static_url"] = "../static/"
    html = render_html(make_environment(rules), "review.html", context)
    path = out / REVIEW_PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    copy_static(out)
    path.write_text(html, encoding="utf-8")
    return path
