"""The audit log: who changed what, when and from where (append-only, guarded by triggers).

Every operation that changes data records one event in the same transaction as the change,
so an event exists exactly when its change was committed. Readable by ``admin`` and
``bureau`` (:data:`iku.access.Action.AUDIT_READ`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.access import Actor
from iku.db import now_wib


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    target: str | None = None,
    agency_code: str | None = None,
    details: dict[str, Any] | None = None,
    by: str | None = None,
    address: str | None = None,
) -> m.AuditEvent:
    """Add an event to the caller's transaction. ``actor`` None: ``by`` names who (an
    operator at the shell, ``sistem``)."""
    event = m.AuditEvent(
        occurred_at=now_wib(),
        actor=actor.username if actor is not None else (by or "sistem"),
        role=actor.role.value if actor is not None else None,
        client_address=(actor.address if actor is not None else address),
        action=action,
        target=target,
        agency_code=agency_code,
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class AuditView:
    id: int
    occurred_at: datetime
    actor: str
    role: str | None
    client_address: str | None
    action: str
    target: str | None
    agency_code: str | None
    details: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "client_address": self.client_address,
            "action": self.action,
            "target": self.target,
            "agency_code": self.agency_code,
            "details": self.details,
        }


def list_events(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditView]:
    """The latest events first (``before_id`` pages back)."""
    query = select(m.AuditEvent).order_by(m.AuditEvent.id.desc()).limit(limit)
    if actor:
        query = query.where(m.AuditEvent.actor == actor)
    if action:
        query = query.where(m.AuditEvent.action == action)
    if before_id is not None:
        query = query.where(m.AuditEvent.id < before_id)
    return [
        AuditView(
            id=e.id,
            occurred_at=e.occurred_at,
            actor=e.actor,
            role=e.role,
            client_address=e.client_address,
            action=e.action,
            target=e.target,
            agency_code=e.agency_code,
            details=dict(e.details or {}),
        )
        for e in session.scalars(query)
    ]


def count_events(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(m.AuditEvent)) or 0)
