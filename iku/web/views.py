"""Plain values the pages and the API show: review items, their rows, files and bulletins.

Routes stay thin: they ask :mod:`iku.access`, call an operation, and hand these values to a
template or to JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from iku import models as m
from iku.access import AccessDenied, Action, Actor, can_read_bulletin, require
from iku.web.errors import WebError, not_found
from quality.review import IssueDetail, IssueView

SEVERITIES = ("blocking", "error", "warning")
STATUSES = ("open", "accepted", "rejected", "resolved")


def issue_json(issue: IssueView) -> dict[str, Any]:
    return {
        "id": issue.id,
        "agency_code": issue.agency_code,
        "agency_name": issue.agency_name,
        "period": issue.period,
        "indicator_code": issue.indicator_code,
        "rule": issue.rule,
        "severity": issue.severity,
        "status": issue.status,
        "message": issue.message,
        "source_row": issue.source_row,
        "observed": issue.observed,
        "expected": issue.expected,
        "file_name": issue.file_name,
        "submission_id": issue.submission_id,
        "created_at": issue.created_at.isoformat(),
        "decided_by": issue.steward,
        "decided_at": issue.decided_at.isoformat() if issue.decided_at else None,
        "decision_note": issue.decision_note,
    }


def staged_json(row: m.StagedRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "source_file": row.source_file,
        "source_row": row.source_row,
        "agency_code": row.agency_code,
        "indicator_code": row.indicator_code,
        "period": row.period,
        "raw_value": row.raw_value,
        "value": row.value,
        "state": row.state,
        "parse_status": row.parse_status,
        "parse_problem": row.parse_problem,
        "unit": row.unit,
        "evidence_url": row.evidence_url,
        "note": row.note,
        "state_reason": row.state_reason,
    }


def detail_json(detail: IssueDetail) -> dict[str, Any]:
    return {
        **issue_json(detail.issue),
        "row": staged_json(detail.staged),
        "decisions": [
            {
                "id": d.id,
                "decision": d.decision,
                "decided_by": d.decided_by,
                "decided_at": d.decided_at.isoformat(),
                "note": d.note,
                "value": d.value,
            }
            for d in detail.decisions
        ],
    }


def agency_bulletin(session: Session, agency_code: str, period: str | None) -> m.Bulletin | None:
    """The agency's bulletin of the period, if one was rendered."""
    if not period:
        return None
    return session.scalar(
        select(m.Bulletin)
        .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Bulletin.cycle_id)
        .join(m.Agency, m.Agency.id == m.Bulletin.agency_id)
        .where(
            m.EvaluationCycle.period == period,
            m.Bulletin.audience == "agency",
            m.Agency.code == agency_code,
        )
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def submission_file(
    session: Session, submission_id: int, actor: Actor, archive: Path
) -> tuple[Path, str]:
    """The archived file of a submission (404 when it does not exist, 403 outside scope)."""
    row = session.execute(
        select(m.Submission, m.Agency.code)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(m.Submission.id == submission_id)
    ).first()
    if row is None:
        raise not_found()
    submission, code = row
    require(actor, Action.SUBMISSION_FILE_READ, code)
    path = Path(submission.archive_path)
    if not path.is_file() or not _inside(path, archive):
        raise not_found()
    return path, submission.file_name


def bulletin_agency(session: Session, bulletin: m.Bulletin) -> str | None:
    if bulletin.agency_id is None:
        return None
    return session.scalar(select(m.Agency.code).where(m.Agency.id == bulletin.agency_id))


def bulletin_file(
    session: Session, bulletin_id: int, actor: Actor, output: Path, kind: str = "pdf"
) -> tuple[Path, str]:
    """A bulletin's PDF (or HTML) file: 404 when missing, 403 outside the actor's scope
    (the province bulletin and the index need a scope of every agency)."""
    bulletin = session.get(m.Bulletin, bulletin_id)
    if bulletin is None:
        raise not_found()
    code = bulletin_agency(session, bulletin)
    if not can_read_bulletin(actor, code):  # the archive's rule: every revision alike
        raise AccessDenied(Action.BULLETIN_READ, code)
    name = bulletin.pdf_path if kind == "pdf" else bulletin.html_path
    if not name:
        raise not_found()
    path = Path(name)
    if not path.is_file() or not _inside(path, output):
        raise not_found()
    return path, path.name


def list_bulletins(session: Session, actor: Actor, period: str | None) -> list[dict[str, Any]]:
    query = (
        select(m.Bulletin, m.EvaluationCycle.period, m.Agency.code)
        .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Bulletin.cycle_id)
        .outerjoin(m.Agency, m.Agency.id == m.Bulletin.agency_id)
        .order_by(m.EvaluationCycle.period, m.Bulletin.audience, m.Bulletin.subject_key)
    )
    if period:
        query = query.where(m.EvaluationCycle.period == period)
    out: list[dict[str, Any]] = []
    for bulletin, bulletin_period, code in session.execute(query).all():
        if not can_read_bulletin(actor, code):
            continue
        out.append(
            {
                "id": bulletin.id,
                "period": bulletin_period,
                "audience": bulletin.audience,
                "agency_code": code,
                "has_pdf": bool(bulletin.pdf_path),
                "has_html": bool(bulletin.html_path),
                "created_at": bulletin.created_at.isoformat(),
            }
        )
    return out


def review_error(exc: Exception) -> WebError:
    """A refused decision in the person's words (``ReviewError.reason`` picks the sentence)."""
    from iku.i18n import _

    reason = getattr(exc, "reason", "invalid")
    p: dict[str, Any] = dict(getattr(exc, "params", {}))
    if reason == "not_found":
        return not_found()
    if reason == "note_required":
        return WebError(422, _("Write the reason for the decision in the note."))
    if reason == "already_decided":
        return WebError(
            409,
            _(
                "This item was already decided (%(status)s by %(steward)s); decisions are "
                "final. Reload the queue to see the items still open.",
                status=status_label(str(p.get("status"))),
                steward=p.get("steward") or "-",
            ),
        )
    if reason == "blocking":
        return WebError(
            409,
            _(
                "This item rejects the whole file (%(rule)s), so it cannot be accepted. Ask the "
                "agency to send the file again, then reject this item.",
                rule=p.get("rule") or "-",
            ),
        )
    if reason == "superseded":
        return WebError(
            409,
            _(
                "The file of this item was replaced by submission #%(newer)s; decide the items "
                "of the newer file instead.",
                newer=p.get("newer") or "-",
            ),
        )
    if reason == "inactive_indicator":
        return WebError(
            422,
            _(
                "'%(code)s' is not an active IKU of this agency, so the row cannot enter. Reject "
                "the item and ask the agency to send the file again with the right code.",
                code=p.get("code") or "-",
            ),
        )
    if reason == "value_required":
        return WebError(
            422,
            _(
                "Row %(row)s has no readable number ('%(raw)s'); enter the correct value in the "
                "corrected value field (for example 85,24).",
                row=p.get("row") or "-",
                raw=p.get("raw") or "",
            ),
        )
    if reason == "duplicate":
        return WebError(
            409,
            _(
                "This file already has an accepted value for %(code)s in %(period)s; reject "
                "this duplicate instead.",
                code=p.get("code") or "-",
                period=p.get("period") or "-",
            ),
        )
    if reason == "out_of_bounds":
        return WebError(
            422,
            _(
                "The value %(value)s is outside the bounds of %(code)s (%(bounds)s); check its "
                "unit and enter the correct value.",
                value=p.get("value") or "-",
                code=p.get("code") or "-",
                bounds=p.get("bounds") or "-",
            ),
        )
    if reason == "implausible":
        return WebError(
            422,
            _(
                "The value %(value)s for %(code)s looks implausible (%(why)s); check it again, "
                "or confirm that it is right.",
                value=p.get("value") or "-",
                code=p.get("code") or "-",
                why=p.get("why") or "-",
            ),
        )
    if reason == "value_with_reject":
        return WebError(422, _("A rejection takes no corrected value; leave it empty."))
    if reason == "invalid_decision":
        return WebError(422, _("The decision must be accept or reject."))
    return WebError(422, _("This decision cannot be taken: %(why)s", why=str(exc)))


def status_label(status: str) -> str:
    from iku.i18n import _

    return {
        "open": _("open"),
        "accepted": _("accepted"),
        "rejected": _("rejected"),
        "resolved": _("resolved automatically"),
    }.get(status, status)


def severity_label(severity: str) -> str:
    from iku.i18n import _

    return {
        "blocking": _("blocking"),
        "error": _("quarantined"),
        "warning": _("warning"),
    }.get(severity, severity)


def parse_value(text: str | None) -> float | None:
    """A corrected value as people write it (``85,24``, ``1.234,5``); 422 when unreadable."""
    from iku.i18n import _
    from iku.numbers import read_number

    if text is None or not str(text).strip():
        return None
    reading = read_number(str(text))
    if reading.value is None:
        raise WebError(
            422,
            _(
                "'%(value)s' is not an unambiguous number; write it in Indonesian format, for "
                "example 85,24 or 1.234,5.",
                value=text,
            ),
        )
    return reading.value


def parse_period(text: str | None) -> str | None:
    from iku.calendar import Period, PeriodError
    from iku.i18n import _

    if text is None or not text.strip():
        return None
    try:
        return str(Period.parse(text.strip()))
    except PeriodError:
        raise WebError(
            422,
            _(
                "The period '%(value)s' is not valid; write it as YYYY-MM, e.g. 2026-10.",
                value=text,
            ),
        ) from None


def rule_title(rule: str) -> str:
    """A validation rule's title in the page's language (the rule id when unknown). Kept here,
    not read from ``quality.checks``, which imports Great Expectations."""
    from iku.i18n import N_, _

    titles = {
        "empty_submission": N_("File without data rows"),
        "agency_mismatch": N_("Agency code does not match"),
        "multiple_periods": N_("More than one period"),
        "read_problem": N_("Row held while reading"),
        "unknown_indicator": N_("Unknown IKU code"),
        "not_a_number": N_("Realisasi is not a number"),
        "ambiguous_number": N_("Number can be read two ways"),
        "state_without_reason": N_("Status without a reason"),
        "duplicate_row": N_("IKU reported twice"),
        "below_minimum": N_("Value below the bound"),
        "above_maximum": N_("Value above the bound"),
        "outlier_zscore": N_("Value departs from its history"),
        "capaian_over_150": N_("Capaian above the verification bound"),
        "percent_as_fraction": N_("Percent written as a fraction"),
        "cumulative_decrease": N_("Cumulative value decreased"),
        "missing_evidence": N_("Supporting evidence missing"),
        "late_submission": N_("Late submission"),
        "identical_to_other_agency": N_("File identical to another agency's submission"),
    }
    title = titles.get(rule)
    return _(title) if title else rule
