"""The data stewards' review queue: list, show, accept (override) and reject issues.

Every decision is a new ``review_decision`` row (append-only, enforced by database triggers)
and moves its issue out of ``open``; a decided issue cannot be decided again. What a decision
does to the data:

- accept an error (quarantined row): the row enters ``realisation``, recorded as accepted by the
  steward; a row without a readable number needs the steward's ``value``;
- accept a warning: the flagged value stays; with ``value`` the steward corrects it;
- reject a warning: the flagged value is withdrawn from ``realisation`` (the raw file and the
  staged row stay, so nothing is lost);
- reject an error or a blocking issue: nothing enters; the agency must resubmit;
- a blocking issue cannot be accepted: it concerns the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import now_wib
from iku.flags import label as flag_label
from iku.i18n import N_, _
from iku.rules import Rules
from quality.decisions import decide

#: How a decided issue's status reads in a message.
STATUS_WORDS = {
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "resolved": N_("auto-resolved"),
}
MSG_NOT_FOUND = N_("Issue #%(id)s does not exist; see the queue with `iku review list`.")


class ReviewError(ValueError):
    """A decision that cannot be taken; the message says why and what to do (for the CLI).

    ``reason`` names the case (``not_found``, ``note_required``, ``already_decided``,
    ``blocking``, ``superseded``, ``no_staged_row``, ``inactive_indicator``, ``value_required``,
    ``duplicate``, ``invalid``) and ``params`` its values, so other front ends (the web
    application) can say it in their own words and language.
    """

    def __init__(self, message: str, *, reason: str = "invalid", **params: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class IssueView:
    """An issue as the queue shows it."""

    id: int
    status: str
    severity: str
    suite: str | None
    rule: str
    agency_code: str
    agency_name: str
    period: str | None
    file_name: str
    submission_id: int
    source_row: int | None
    indicator_code: str | None
    column: str | None
    observed: str | None
    expected: str | None
    message: str
    created_at: datetime
    steward: str | None
    decision_note: str | None
    decided_at: datetime | None

    def age_days(self, now: datetime | None = None) -> int:
        return max(0, ((now or now_wib()) - self.created_at).days)


def _views(session: Session, query: object) -> list[IssueView]:
    rows = session.execute(query).all()  # type: ignore[call-overload]
    return [
        IssueView(
            id=issue.id,
            status=issue.status,
            severity=issue.severity,
            suite=issue.suite,
            rule=issue.rule,
            agency_code=code,
            agency_name=name,
            period=issue.period or submission_period,
            file_name=file_name,
            submission_id=issue.submission_id,
            source_row=issue.source_row,
            indicator_code=issue.indicator_code,
            column=issue.column_name,
            observed=issue.observed,
            expected=issue.expected,
            message=issue.message,
            created_at=issue.created_at,
            steward=issue.steward,
            decision_note=issue.decision_note,
            decided_at=issue.decided_at,
        )
        for issue, code, name, file_name, submission_period in rows
    ]


def _base_query() -> object:
    return (
        select(
            m.ValidationIssue,
            m.Agency.code,
            m.Agency.name,
            m.Submission.file_name,
            m.Submission.period,
        )
        .join(m.Submission, m.Submission.id == m.ValidationIssue.submission_id)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
    )


def list_issues(
    session: Session,
    *,
    period: str | None = None,
    agency: str | None = None,
    status: str | None = "open",
    severity: str | None = None,
) -> list[IssueView]:
    """Issues matching the filters, by agency, file and row."""
    query = _base_query()
    if period:
        query = query.where(m.Submission.period == period)  # type: ignore[attr-defined]
    if agency:
        query = query.where(m.Agency.code == agency)  # type: ignore[attr-defined]
    if status:
        query = query.where(m.ValidationIssue.status == status)  # type: ignore[attr-defined]
    if severity:
        query = query.where(m.ValidationIssue.severity == severity)  # type: ignore[attr-defined]
    query = query.order_by(  # type: ignore[attr-defined]
        m.Agency.code, m.Submission.id, m.ValidationIssue.source_row, m.ValidationIssue.id
    )
    return _views(session, query)


@dataclass(frozen=True)
class IssueDetail:
    issue: IssueView
    staged: m.StagedRow | None
    decisions: list[m.ReviewDecision]


def get_issue(session: Session, issue_id: int) -> IssueDetail:
    query = _base_query().where(m.ValidationIssue.id == issue_id)  # type: ignore[attr-defined]
    views = _views(session, query)
    if not views:
        raise ReviewError(
            _(MSG_NOT_FOUND, id=issue_id),
            reason="not_found",
            id=issue_id,
        )
    issue = session.get(m.ValidationIssue, issue_id)
    assert issue is not None
    staged = session.get(m.StagedRow, issue.staged_row_id) if issue.staged_row_id else None
    return IssueDetail(views[0], staged, list(issue.decisions))


def _open_issue(session: Session, issue_id: int, by: str, note: str) -> m.ValidationIssue:
    if not by.strip():
        raise ReviewError(_("Say who decides: --by NAME."))
    if not note.strip():
        raise ReviewError(_("A decision needs a reason: --note TEXT."), reason="note_required")
    issue = session.get(m.ValidationIssue, issue_id, with_for_update=True)
    if issue is None:
        raise ReviewError(
            _(MSG_NOT_FOUND, id=issue_id),
            reason="not_found",
            id=issue_id,
        )
    if issue.status != "open":
        raise ReviewError(
            _(
                "Issue #%(id)s is already decided (%(status)s, by %(steward)s at %(at)s WIB); "
                "decisions are final.",
                id=issue_id,
                status=_(STATUS_WORDS[issue.status])
                if issue.status in STATUS_WORDS
                else issue.status,
                steward=issue.steward,
                at=issue.decided_at.strftime("%Y-%m-%d %H:%M") if issue.decided_at else "-",
            ),
            reason="already_decided",
            id=issue_id,
            status=issue.status,
            steward=issue.steward,
            decided_at=issue.decided_at,
        )
    return issue


def _current_submission(session: Session, issue: m.ValidationIssue) -> m.Submission:
    submission = session.get(m.Submission, issue.submission_id)
    assert submission is not None
    if submission.status == "superseded":
        newer = session.scalar(
            select(m.Submission.id).where(m.Submission.supersedes_id == submission.id)
        )
        raise ReviewError(
            _(
                "The file of issue #%(id)s was replaced by submission #%(newer)s; review the "
                "issues of the newer file.",
                id=issue.id,
                newer=newer,
            ),
            reason="superseded",
            id=issue.id,
            newer=newer,
        )
    return submission


def check_override(
    session: Session,
    indicator: m.Indicator,
    period: str,
    value: float,
    rules: Rules,
    *,
    confirm: bool = False,
) -> None:
    """A steward's corrected value is checked like any submitted value: outside the IKU's hard
    bounds it is refused; implausible (a capaian above the verification level, or far from the
    series' history) it needs ``confirm``, the steward's explicit word that it is right."""
    from iku.formatting import angka  # babel and numpy only when a value is checked

    low, high = indicator.min_value, indicator.max_value
    written = angka(value, 6, 0)  # as the steward typed it (4.345,708, not 4.345,71)
    if (low is not None and value < low) or (high is not None and value > high):
        lowest = "-" if low is None else angka(low, 2, 0)
        highest = "-" if high is None else angka(high, 2, 0)
        bounds = _("%(low)s to %(high)s", low=lowest, high=highest)
        raise ReviewError(
            _(
                "The value %(value)s is outside the bounds of IKU %(code)s (%(bounds)s); check "
                "its unit and enter the correct value.",
                value=written,
                code=indicator.code,
                bounds=bounds,
            ),
            reason="out_of_bounds",
            value=written,
            code=indicator.code,
            bounds=bounds,
        )
    if confirm:
        return
    doubts = _implausible(session, indicator, period, value, rules)
    if doubts:
        raise ReviewError(
            _(
                "The value %(value)s for %(code)s is implausible (%(why)s); check it again, or "
                "confirm with --confirm that the value is right.",
                value=written,
                code=indicator.code,
                why="; ".join(doubts),
            ),
            reason="implausible",
            value=written,
            code=indicator.code,
            why="; ".join(doubts),
        )


def _implausible(
    session: Session, indicator: m.Indicator, period: str, value: float, rules: Rules
) -> list[str]:
    """Why a value would be flagged by the plausibility checks (empty: plausible). The
    numerical modules are imported here: the web application imports this module and starts
    without them."""
    from iku import capaian as cp
    from iku.calendar import shift_period
    from iku.formatting import angka
    from iku.stats import center_and_scale, modified_zscore
    from iku.targets.read import load_targets
    from iku.targets.resolve import month_targets

    doubts = []
    year = int(period[:4])
    targets = month_targets(
        [indicator.id],
        [indicator.frequency],
        [indicator.consolidation],
        load_targets(session, year),
        period,
    )
    result = cp.compute_capaian(
        [value],
        targets.lower,
        targets.upper,
        targets.comparator,
        cp.encode([indicator.polarity], cp.POLARITIES),
        cp.encode([indicator.negative_formula], cp.NEGATIVE_FORMULAS),
        rules.capaian,
    )
    raw = float(result.raw[0])
    if raw == raw and raw > rules.plausibility.capaian_verification_above:
        doubts.append(
            _(
                "capaian %(capaian)s%% above %(limit)s%%",
                capaian=angka(raw, 2, 0),
                limit=angka(rules.plausibility.capaian_verification_above, 2, 0),
            )
        )
    first = shift_period(period, -rules.plausibility.history_months)
    history = session.scalars(
        select(m.Realisation.value)
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .where(
            m.Realisation.indicator_id == indicator.id,
            m.Realisation.state == "angka",
            m.Submission.status == "validated",
            m.Realisation.period >= first,
            m.Realisation.period < period,
        )
    ).all()
    found = center_and_scale([v for v in history if v is not None], rules.plausibility)
    if found is not None:
        z = float(modified_zscore(value, *found))
        if z > rules.plausibility.modified_zscore_threshold:
            doubts.append(
                _("far from its history (median %(median)s)", median=angka(found[0], 2, 0))
            )
    return doubts


def accept_issue(
    session: Session,
    issue_id: int,
    *,
    by: str,
    note: str,
    rules: Rules,
    value: float | None = None,
    confirm: bool = False,
) -> m.ReviewDecision:
    """Override: the row enters (or stays in) realisation. See the module docstring. A corrected
    ``value`` is checked (:func:`check_override`: hard bounds always, plausibility unless
    ``confirm``)."""
    issue = _open_issue(session, issue_id, by, note)
    if issue.severity == "blocking":
        raise ReviewError(
            _(
                "Issue #%(id)s rejects the whole file (%(rule)s), so it cannot be accepted; ask "
                "the agency to submit again, then reject this issue with `iku review reject`.",
                id=issue_id,
                rule=flag_label(issue.rule),
            ),
            reason="blocking",
            id=issue_id,
            rule=issue.rule,
        )
    submission = _current_submission(session, issue)
    staged = session.get(m.StagedRow, issue.staged_row_id) if issue.staged_row_id else None
    if issue.severity == "warning":
        if value is not None and staged is not None:
            held = session.scalar(
                select(m.Indicator)
                .join(m.Realisation, m.Realisation.indicator_id == m.Indicator.id)
                .where(
                    m.Realisation.submission_id == submission.id,
                    m.Realisation.source_row == staged.source_row,
                )
            )
            if held is not None:
                check_override(session, held, staged.period, value, rules, confirm=confirm)
            session.execute(
                update(m.Realisation)
                .where(
                    m.Realisation.submission_id == submission.id,
                    m.Realisation.source_row == staged.source_row,
                )
                .values(value=value, state="angka", state_reason=None, accepted_by=by)
            )
        return decide(session, issue, "accept", by, note, value)
    if staged is None:
        raise ReviewError(
            _("Issue #%(id)s has no row to accept; reject this issue.", id=issue_id),
            reason="no_staged_row",
            id=issue_id,
        )
    indicator = session.scalar(
        select(m.Indicator).where(
            m.Indicator.code == staged.indicator_code,
            m.Indicator.agency_id == submission.agency_id,
            m.Indicator.is_active.is_(True),
        )
    )
    if indicator is None:
        raise ReviewError(
            _(
                "IKU '%(code)s' is not an active indicator of this agency, so its row cannot "
                "enter; reject this issue and ask for a resubmission with the right code.",
                code=staged.indicator_code,
            ),
            reason="inactive_indicator",
            code=staged.indicator_code,
        )
    state = staged.state or "angka"
    number = value if value is not None else staged.value
    if value is not None:
        state = "angka"
        check_override(session, indicator, staged.period, value, rules, confirm=confirm)
    if state == "angka" and number is None:
        raise ReviewError(
            _(
                "Row %(row)s holds no readable number ('%(raw)s'); give the correct value with "
                "--value.",
                row=staged.source_row,
                raw=staged.raw_value,
            ),
            reason="value_required",
            row=staged.source_row,
            raw=staged.raw_value,
        )
    taken = session.scalar(
        select(m.Realisation.id).where(
            m.Realisation.submission_id == submission.id,
            m.Realisation.indicator_id == indicator.id,
            m.Realisation.period == staged.period,
        )
    )
    if taken is not None:
        raise ReviewError(
            _(
                "This file already has an accepted value for %(code)s %(period)s; reject this "
                "duplicate issue.",
                code=indicator.code,
                period=staged.period,
            ),
            reason="duplicate",
            code=indicator.code,
            period=staged.period,
        )
    session.add(
        m.Realisation(
            submission_id=submission.id,
            indicator_id=indicator.id,
            period=staged.period,
            value=number if state == "angka" else None,
            state=state,
            state_reason=None if state == "angka" else (staged.state_reason or note),
            evidence_url=staged.evidence_url,
            note=staged.note,
            source_row=staged.source_row,
            flags=[issue.rule],
            accepted_by=by,
        )
    )
    if submission.accepted_rows is not None:
        submission.accepted_rows += 1
        submission.quarantined_rows = (submission.quarantined_rows or 1) - 1
    return decide(session, issue, "accept", by, note, value)


def reject_issue(session: Session, issue_id: int, *, by: str, note: str) -> m.ReviewDecision:
    """Reject: nothing (more) of this row is used. See the module docstring."""
    issue = _open_issue(session, issue_id, by, note)
    if issue.severity == "warning" and issue.staged_row_id is not None:
        staged = session.get(m.StagedRow, issue.staged_row_id)
        assert staged is not None
        withdrawn: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            delete(m.Realisation).where(
                m.Realisation.submission_id == issue.submission_id,
                m.Realisation.source_row == staged.source_row,
            )
        )
        submission = session.get(m.Submission, issue.submission_id)
        if withdrawn.rowcount and submission is not None and submission.accepted_rows:
            # The row moves from accepted to quarantined: the counts still reconcile.
            submission.accepted_rows -= 1
            submission.quarantined_rows = (submission.quarantined_rows or 0) + 1
    return decide(session, issue, "reject", by, note)
