"""Approval, verification, lock and publication of a period: the states and their transitions.

Per (period, agency) the month is ``not_submitted`` (no current submission), ``submitted``,
``approved`` (the agency head, ``agency_head``, approved it) or ``verified`` (the bureau
verified it after the approval). Per period: open or ``locked`` (the bureau locks it when the
cycle's bulletins are final: its figures are frozen and it refuses submissions, review
decisions, approvals and verifications) and ``published`` (opt-in, on the public pages; only
a locked period; reopening unpublishes it). The rules (checked here, the one place):

- approve: the period is open, the agency has a current submission, not approved yet;
- verify: the period is open, the agency's month is approved, not verified yet;
- lock: the period is open and has been computed;
- reopen: the period is locked; a reason is required;
- publish: the period is locked and not published yet.

A wrong transition is a :class:`PeriodStateError` (bad input: :class:`PeriodInputError`);
anything refused because the period is locked is a :class:`PeriodLockedError`. All are user
errors (one sentence, Indonesian by default); the web answers 409 (bad input: 422). The
operations that apply the transitions, record ``period_event`` and the audit log are in
:mod:`iku.operations.periods`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from iku import models as m
from iku.cycles import CURRENT_STATUSES
from iku.errors import UserError
from iku.i18n import N_, _

NOT_SUBMITTED: Final = "not_submitted"
SUBMITTED: Final = "submitted"
APPROVED: Final = "approved"
VERIFIED: Final = "verified"
AGENCY_STATES: Final = (NOT_SUBMITTED, SUBMITTED, APPROVED, VERIFIED)

#: How bulletins and pages say an agency's approval status.
STATE_LABELS: Final = {
    NOT_SUBMITTED: N_("not submitted"),
    SUBMITTED: N_("not approved yet"),
    APPROVED: N_("approved by the agency head"),
    VERIFIED: N_("verified by the bureau"),
}

MSG_LOCKED: Final = N_(
    "The period %(period)s is locked: its figures are final and it takes no more submissions "
    "or decisions. Ask the bureau to reopen it (with a reason) if a correction is needed."
)


class PeriodStateError(UserError):
    """A transition the period's (or the agency's month's) state does not allow."""


class PeriodInputError(PeriodStateError):
    """A malformed period, an unknown agency code or a missing reason (the web: 422)."""


class PeriodLockedError(PeriodStateError):
    """The period is locked: submissions, decisions, approvals and computing are refused."""

    def __init__(self, period: str) -> None:
        super().__init__(_(MSG_LOCKED, period=period))
        self.period = period


def state_label(state: str) -> str:
    """An agency's approval status in the language of the moment."""
    return _(STATE_LABELS[state])


@dataclass(frozen=True)
class AgencyPeriod:
    """One agency's month: its state and who approved and verified it, when."""

    agency_code: str
    agency_name: str
    state: str
    submission_id: int | None
    approved_by: str | None
    approved_at: datetime | None
    verified_by: str | None
    verified_at: datetime | None

    @property
    def label(self) -> str:
        return state_label(self.state)

    @property
    def approved(self) -> bool:
        return self.state in (APPROVED, VERIFIED)

    def as_json(self) -> dict[str, object]:
        return {
            "agency_code": self.agency_code,
            "agency_name": self.agency_name,
            "state": self.state,
            "label": self.label,
            "submission_id": self.submission_id,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "verified_by": self.verified_by,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
        }


@dataclass(frozen=True)
class PeriodStatus:
    """A period: lock, publication and every (visible) agency's month."""

    period: str
    locked: bool
    locked_by: str | None
    locked_at: datetime | None
    published: bool
    published_at: datetime | None
    reopened_at: datetime | None
    reopen_reason: str | None
    computed: bool
    agencies: tuple[AgencyPeriod, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.period,
            "locked": self.locked,
            "locked_by": self.locked_by,
            "locked_at": self.locked_at.isoformat() if self.locked_at else None,
            "published": self.published,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "reopened_at": self.reopened_at.isoformat() if self.reopened_at else None,
            "reopen_reason": self.reopen_reason,
            "computed": self.computed,
            "agencies": [a.as_json() for a in self.agencies],
        }


def period_row(session: Session, period: str, *, for_update: bool = False) -> m.PeriodState | None:
    query = select(m.PeriodState).where(m.PeriodState.period == period)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def is_locked(session: Session, period: str) -> bool:
    """Whether the period is locked (asked by every submission: a column, not the row)."""
    return bool(session.scalar(select(m.PeriodState.locked).where(m.PeriodState.period == period)))


def is_published(session: Session, period: str) -> bool:
    """Whether the period is on the public pages (locked and published)."""
    row = period_row(session, period)
    return bool(row is not None and row.locked and row.published)


def published_periods(session: Session) -> list[str]:
    """The published periods, latest first."""
    query = select(m.PeriodState.period).where(m.PeriodState.locked, m.PeriodState.published)
    return sorted(session.scalars(query).all(), reverse=True)


def locked_periods(session: Session, periods: list[str]) -> set[str]:
    if not periods:
        return set()
    query = select(m.PeriodState.period).where(
        m.PeriodState.period.in_(periods), m.PeriodState.locked
    )
    return set(session.scalars(query).all())


def require_open(session: Session, period: str) -> None:
    """Raise :class:`PeriodLockedError` when ``period`` is locked."""
    if is_locked(session, period):
        raise PeriodLockedError(period)


def agency_periods(
    session: Session, period: str, agencies: frozenset[str] | None = None
) -> list[AgencyPeriod]:
    """Every active agency's month (``agencies``: only those codes), by code."""
    query = select(m.Agency.id, m.Agency.code, m.Agency.name).where(m.Agency.is_active)
    if agencies is not None:
        query = query.where(m.Agency.code.in_(sorted(agencies)))
    rows = session.execute(query.order_by(m.Agency.code)).all()
    submitted = dict(
        session.execute(
            select(m.Submission.agency_id, m.Submission.id).where(
                m.Submission.period == period, m.Submission.status.in_(CURRENT_STATUSES)
            )
        ).all()
    )
    states = {
        s.agency_id: s
        for s in session.scalars(
            select(m.PeriodAgencyState).where(m.PeriodAgencyState.period == period)
        )
    }
    found: list[AgencyPeriod] = []
    for agency_id, code, name in rows:
        state = states.get(agency_id)
        submission = submitted.get(agency_id)
        if state is not None and state.verified_at is not None:
            code_state = VERIFIED
        elif state is not None and state.approved_at is not None:
            code_state = APPROVED
        elif submission is not None:
            code_state = SUBMITTED
        else:
            code_state = NOT_SUBMITTED
        found.append(
            AgencyPeriod(
                agency_code=code,
                agency_name=name,
                state=code_state,
                submission_id=submission,
                approved_by=state.approved_by if state else None,
                approved_at=state.approved_at if state else None,
                verified_by=state.verified_by if state else None,
                verified_at=state.verified_at if state else None,
            )
        )
    return found


def period_status(
    session: Session, period: str, agencies: frozenset[str] | None = None
) -> PeriodStatus:
    """The period's state and its agencies' months (``agencies``: only those codes)."""
    row = period_row(session, period)
    computed = (
        session.scalar(
            select(m.EvaluationCycle.id).where(m.EvaluationCycle.period == period).limit(1)
        )
        is not None
    )
    return PeriodStatus(
        period=period,
        locked=bool(row and row.locked),
        locked_by=row.locked_by if row and row.locked else None,
        locked_at=row.locked_at if row and row.locked else None,
        published=bool(row and row.locked and row.published),
        published_at=row.published_at if row and row.published else None,
        reopened_at=row.reopened_at if row else None,
        reopen_reason=row.reopen_reason if row else None,
        computed=computed,
        agencies=tuple(agency_periods(session, period, agencies)),
    )


def approval_states(session: Session, period: str) -> dict[str, str]:
    """agency code -> its month's state (bulletins, the aggregation policy)."""
    return {a.agency_code: a.state for a in agency_periods(session, period)}
