"""The bulletin archive: every period's bulletins and their revisions (current and
superseded), filtered by period, agency and a search text, within what the actor may read
(:func:`iku.access.can_read_bulletin`: an agency's bulletins for its scope, the province
bulletin for a scope of every agency)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.access import Action, Actor, can_read_bulletin, visible_agencies

#: The agency filter's value for the province bulletins (and the period index).
PROVINCE: Final = "provinsi"


@dataclass(frozen=True)
class ArchiveEntry:
    id: int
    period: str
    audience: str
    agency_code: str | None
    agency_name: str | None
    revision: int
    superseded_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    has_pdf: bool

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


def _scope_condition(actor: Actor) -> ColumnElement[bool] | None:
    """The bulletins ``actor`` may read, as a condition (None: every bulletin)."""
    scope = visible_agencies(actor, Action.BULLETIN_READ)
    if scope is None:
        return None
    if not scope:
        return false()
    return and_(m.Bulletin.agency_id.is_not(None), m.Agency.code.in_(sorted(scope)))


def bulletin_archive(
    session: Session,
    actor: Actor,
    *,
    period: str | None = None,
    agency: str | None = None,
    search: str = "",
) -> list[ArchiveEntry]:
    """The bulletins ``actor`` may read, newest period first; in a period the province's first,
    then the agencies', each with its revisions newest first."""
    query = (
        select(m.Bulletin, m.EvaluationCycle.period, m.Agency.code, m.Agency.name)
        .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Bulletin.cycle_id)
        .outerjoin(m.Agency, m.Agency.id == m.Bulletin.agency_id)
    )
    scoped = _scope_condition(actor)
    if scoped is not None:
        query = query.where(scoped)
    if period:
        query = query.where(m.EvaluationCycle.period == period)
    if agency == PROVINCE:
        query = query.where(m.Bulletin.agency_id.is_(None))
    elif agency:
        query = query.where(m.Agency.code == agency)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(m.Agency.code).like(pattern),
                func.lower(m.Agency.name).like(pattern),
                func.lower(m.Bulletin.subject_key).like(pattern),
                m.EvaluationCycle.period.like(pattern),
            )
        )
    query = query.order_by(
        m.EvaluationCycle.period.desc(),
        m.Bulletin.agency_id.is_not(None),
        m.Agency.code,
        m.Bulletin.audience,
        m.Bulletin.revision.desc(),
        m.Bulletin.id,
    )
    entries = []
    for bulletin, bulletin_period, code, name in session.execute(query):
        if not can_read_bulletin(actor, code):  # the rule itself, over the SQL filter
            continue
        entries.append(
            ArchiveEntry(
                id=bulletin.id,
                period=bulletin_period,
                audience=bulletin.audience,
                agency_code=code,
                agency_name=name,
                revision=bulletin.revision,
                superseded_at=bulletin.superseded_at,
                created_at=bulletin.created_at,
                sent_at=bulletin.sent_at,
                has_pdf=bool(bulletin.pdf_path),
            )
        )
    return entries


def archive_choices(session: Session, actor: Actor) -> tuple[list[str], list[tuple[str, str]]]:
    """The filters' choices: the periods with bulletins the actor may read, and the agencies
    (with ``provinsi`` first when the actor may read the province bulletins)."""
    query = (
        select(m.EvaluationCycle.period, m.Agency.code, m.Agency.name)
        .join(m.Bulletin, m.Bulletin.cycle_id == m.EvaluationCycle.id)
        .outerjoin(m.Agency, m.Agency.id == m.Bulletin.agency_id)
        .distinct()
    )
    scoped = _scope_condition(actor)
    if scoped is not None:
        query = query.where(scoped)
    periods: set[str] = set()
    agencies: dict[str, str] = {}
    province = False
    for period, code, name in session.execute(query):
        periods.add(period)
        if code is None:
            province = True
        else:
            agencies[code] = name
    choices = sorted(agencies.items())
    if province and can_read_bulletin(actor, None):
        choices.insert(0, (PROVINCE, "Provinsi Lampung"))
    return sorted(periods, reverse=True), choices
