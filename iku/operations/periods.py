"""Approving, verifying, locking, reopening and publishing a period (docs/periods.md).

One operation per action for every front end (``iku period ...``, the ``/periode`` page, the
REST API). Each checks the actor's role and agency (:mod:`iku.access`), applies the
transition of :mod:`iku.periods` (refused with ``PeriodStateError`` / ``PeriodLockedError``,
nothing changed), and in the same transaction appends the action to the append-only
``period_event`` (actor, action, agency, reason, server time) and the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from iku import audit
from iku import models as m
from iku.access import Action, Actor, require, visible_agencies
from iku.db import now_wib, session_scope
from iku.i18n import N_, _
from iku.periods import (
    APPROVED,
    NOT_SUBMITTED,
    SUBMITTED,
    VERIFIED,
    PeriodInputError,
    PeriodLockedError,
    PeriodStateError,
    PeriodStatus,
    agency_periods,
    period_row,
    period_status,
)
from iku.runtime import Runtime

MAX_REASON_CHARS: Final = 2000

MSG_BAD_PERIOD: Final = N_(
    "The period '%(period)s' is not valid; write it as YYYY-MM, e.g. 2026-10."
)
MSG_UNKNOWN_AGENCY: Final = N_(
    "The agency code '%(code)s' is unknown; use a code from the catalog (for example DINKES)."
)
MSG_NOT_SUBMITTED: Final = N_(
    "%(agency)s has not submitted its realisasi for %(period)s yet; there is nothing to approve."
)
MSG_ALREADY_APPROVED: Final = N_("%(agency)s's month %(period)s is already approved.")
MSG_NOT_APPROVED: Final = N_(
    "%(agency)s's month %(period)s has not been approved by its agency head yet; it can be "
    "verified after the approval."
)
MSG_ALREADY_VERIFIED: Final = N_("%(agency)s's month %(period)s is already verified.")
MSG_ALREADY_LOCKED: Final = N_("The period %(period)s is already locked.")
MSG_NOT_COMPUTED: Final = N_(
    "The period %(period)s has not been computed yet; run `iku run --period %(period)s` "
    "before locking it."
)
MSG_NOT_LOCKED: Final = N_(
    "The period %(period)s is not locked; only a locked period can be %(what)s."
)
MSG_WHAT_REOPENED: Final = N_("reopened")
MSG_WHAT_PUBLISHED: Final = N_("published")
MSG_ALREADY_PUBLISHED: Final = N_("The period %(period)s is already published.")
MSG_REASON: Final = N_(
    "Give the reason for reopening (at most %(max)s characters); it is kept in the audit log."
)


@dataclass(frozen=True)
class PeriodAction:
    """What an action did: the period's status afterwards and the event recorded."""

    status: PeriodStatus
    event_id: int
    action: str
    agency_code: str | None
    actor: str


def parse_period(text: str) -> str:
    """``YYYY-MM`` or a :class:`PeriodInputError` sentence."""
    from iku.calendar import Period, PeriodError  # numpy: not at the web's start-up

    try:
        return str(Period.parse(text))
    except (PeriodError, ValueError):
        raise PeriodInputError(_(MSG_BAD_PERIOD, period=text[:20])) from None


def _agency(session: Session, code: str) -> m.Agency:
    found = session.scalars(select(m.Agency).where(m.Agency.code == code.strip().upper())).first()
    if found is None:
        raise PeriodInputError(_(MSG_UNKNOWN_AGENCY, code=code[:40]))
    return found


def _state_row(session: Session, period: str, *, lock: bool) -> m.PeriodState:
    row = period_row(session, period, for_update=lock)
    if row is None:
        # The period's first action: two at once both find no row, so the row is inserted
        # unless it exists by then (the other's), and read again, locked.
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(m.PeriodState)
            .values(period=period, locked=False, published=False)
            .on_conflict_do_nothing(index_elements=["period"])
        )
        row = period_row(session, period, for_update=lock)
        assert row is not None
    return row


def _record(
    session: Session,
    actor: Actor,
    period: str,
    action: str,
    *,
    agency_code: str | None = None,
    reason: str | None = None,
) -> int:
    event = m.PeriodEvent(
        period=period,
        action=action,
        agency_code=agency_code,
        actor=actor.username,
        role=actor.role.value,
        reason=reason,
        occurred_at=now_wib(),
    )
    session.add(event)
    session.flush()
    details: dict[str, object] = {"period": period, "period_event": event.id}
    if reason is not None:
        details["reason"] = reason
    audit.record(
        session,
        actor,
        f"period.{action}",
        target=f"period:{period}",
        agency_code=agency_code,
        details=details,
    )
    return event.id


def _agency_action(
    rt: Runtime, period_text: str, agency_code: str, actor: Actor, action: str
) -> PeriodAction:
    period = parse_period(period_text)
    wanted = Action.PERIOD_APPROVE if action == "approve" else Action.PERIOD_VERIFY
    visible_agencies(actor, wanted)  # the role first (403), then the agency
    with session_scope(rt.engine) as session:
        agency = _agency(session, agency_code)
        require(actor, wanted, agency.code)
        state = _state_row(session, period, lock=True)
        if state.locked:
            raise PeriodLockedError(period)
        month = agency_periods(session, period, frozenset({agency.code}))[0]
        row = session.get(m.PeriodAgencyState, (period, agency.id))
        now = now_wib()
        if action == "approve":
            if month.state == NOT_SUBMITTED:
                raise PeriodStateError(_(MSG_NOT_SUBMITTED, agency=agency.code, period=period))
            if month.state in (APPROVED, VERIFIED):
                raise PeriodStateError(_(MSG_ALREADY_APPROVED, agency=agency.code, period=period))
            if row is None:
                row = m.PeriodAgencyState(period=period, agency_id=agency.id)
                session.add(row)
            row.approved_at, row.approved_by = now, actor.username
        else:
            if month.state in (NOT_SUBMITTED, SUBMITTED) or row is None:
                raise PeriodStateError(_(MSG_NOT_APPROVED, agency=agency.code, period=period))
            if month.state == VERIFIED:
                raise PeriodStateError(_(MSG_ALREADY_VERIFIED, agency=agency.code, period=period))
            row.verified_at, row.verified_by = now, actor.username
        session.flush()
        if action == "approve" and rt.rules.approval.unapproved_in_province == "withheld":
            _recompute(session, rt, period)  # the approved agency now counts in the province
        event = _record(session, actor, period, action, agency_code=agency.code)
        return PeriodAction(
            _status(session, period, actor), event, action, agency.code, actor.username
        )


def _recompute(session: Session, rt: Runtime, period: str) -> None:
    if session.scalar(select(m.EvaluationCycle.id).where(m.EvaluationCycle.period == period)):
        from iku.engine.store import compute_period

        compute_period(session, period, rt.rules)


def approve(rt: Runtime, period: str, agency_code: str, *, actor: Actor) -> PeriodAction:
    """The agency head approves its agency's month (recorded under the head's username)."""
    return _agency_action(rt, period, agency_code, actor, "approve")


def verify(rt: Runtime, period: str, agency_code: str, *, actor: Actor) -> PeriodAction:
    """The bureau verifies an approved month."""
    return _agency_action(rt, period, agency_code, actor, "verify")


def _period_action(
    rt: Runtime, period_text: str, actor: Actor, action: str, reason: str | None = None
) -> PeriodAction:
    period = parse_period(period_text)
    require(actor, Action.PERIOD_MANAGE)
    if action == "reopen":
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_REASON_CHARS:
            raise PeriodInputError(_(MSG_REASON, max=MAX_REASON_CHARS))
    with session_scope(rt.engine) as session:
        state = _state_row(session, period, lock=True)
        now = now_wib()
        if action == "lock":
            if state.locked:
                raise PeriodStateError(_(MSG_ALREADY_LOCKED, period=period))
            computed = session.scalar(
                select(m.EvaluationCycle.id).where(m.EvaluationCycle.period == period)
            )
            if computed is None:
                raise PeriodStateError(_(MSG_NOT_COMPUTED, period=period))
            state.locked, state.locked_at, state.locked_by = True, now, actor.username
        elif action == "reopen":
            if not state.locked:
                raise PeriodStateError(_(MSG_NOT_LOCKED, period=period, what=_(MSG_WHAT_REOPENED)))
            # Reopening unpublishes: the public pages show only a locked, published period.
            state.locked, state.published = False, False
            state.reopened_at, state.reopened_by, state.reopen_reason = (
                now,
                actor.username,
                reason,
            )
        else:
            if not state.locked:
                raise PeriodStateError(_(MSG_NOT_LOCKED, period=period, what=_(MSG_WHAT_PUBLISHED)))
            if state.published:
                raise PeriodStateError(_(MSG_ALREADY_PUBLISHED, period=period))
            state.published, state.published_at, state.published_by = True, now, actor.username
        session.flush()
        event = _record(session, actor, period, action, reason=reason)
        return PeriodAction(_status(session, period, actor), event, action, None, actor.username)


def lock(rt: Runtime, period: str, *, actor: Actor) -> PeriodAction:
    """The bureau locks a computed period: its figures are frozen."""
    return _period_action(rt, period, actor, "lock")


def reopen(rt: Runtime, period: str, *, actor: Actor, reason: str) -> PeriodAction:
    """The bureau reopens a locked period with a reason (audited); it is unpublished, and the
    next run re-issues the bulletins whose figures changed as revisions."""
    return _period_action(rt, period, actor, "reopen", reason)


def publish(rt: Runtime, period: str, *, actor: Actor) -> PeriodAction:
    """The bureau publishes a locked period on the public pages."""
    return _period_action(rt, period, actor, "publish")


def _status(session: Session, period: str, actor: Actor) -> PeriodStatus:
    return period_status(session, period, visible_agencies(actor, Action.PERIOD_READ))


def status(rt: Runtime, period: str, *, actor: Actor) -> PeriodStatus:
    """The period's state and the months of the agencies ``actor`` may see."""
    chosen = parse_period(period)
    visible_agencies(actor, Action.PERIOD_READ)
    with session_scope(rt.engine) as session:
        return _status(session, chosen, actor)


def events(rt: Runtime, period: str) -> list[m.PeriodEvent]:
    """The period's events, oldest first (detached rows)."""
    chosen = parse_period(period)
    with session_scope(rt.engine) as session:
        rows = list(
            session.scalars(
                select(m.PeriodEvent)
                .where(m.PeriodEvent.period == chosen)
                .order_by(m.PeriodEvent.id)
            )
        )
        session.expunge_all()
    return rows
