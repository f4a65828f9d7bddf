"""Server-side browser sessions and their CSRF tokens.

The cookie carries 256 random bits and nothing else; the ``web_session`` row is keyed by the
value's sha256. A session ends after ``web_session_idle_minutes`` without a request or
``web_session_max_hours`` after it began, whichever comes first; signing in replaces the
session (a new id, a new CSRF token), so an id planted before sign-in is worth nothing.
Every form carries the session's CSRF token (a synchronizer token, compared in constant time).
The cookie is HttpOnly and SameSite=Lax; with ``web_secure_cookies`` (production, behind TLS)
it is also Secure and named with the ``__Host-`` prefix, which browsers bind to the exact host.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.access import Actor
from iku.accounts import actor_of
from iku.db import now_wib
from iku.settings import Settings

#: Don't write ``last_seen_at`` on every request: once a minute is precise enough for expiry.
_TOUCH_EVERY = timedelta(minutes=1)
#: A session before sign-in (the sign-in form, an OpenID Connect round trip) lives shortly.
_ANONYMOUS_LIFETIME = timedelta(hours=1)


def cookie_name(settings: Settings) -> str:
    return "__Host-iku_session" if settings.web_secure_cookies else "iku_session"


def _key(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


@dataclass
class BrowserSession:
    """A session as a request sees it. ``cookie_value`` is set when the response must send a
    (new) cookie; ``expired`` when the request came with a session that has ended."""

    key: str
    csrf_token: str
    actor: Actor | None = None
    data: dict[str, Any] = field(default_factory=dict)
    cookie_value: str | None = None
    expired: bool = False

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token, str(token))


def _expired(row: m.WebSession, settings: Settings, now: datetime) -> bool:
    idle = timedelta(minutes=settings.web_session_idle_minutes)
    return row.expires_at <= now or row.last_seen_at + idle <= now


def load(
    db: Session, cookie_value: str | None, settings: Settings, address: str | None
) -> tuple[BrowserSession | None, bool]:
    """The live session of a cookie, and whether the cookie named a session that ended."""
    if not cookie_value or len(cookie_value) > 100:
        return None, False
    now = now_wib()
    row = db.get(m.WebSession, _key(cookie_value))
    if row is None:
        return None, True
    if _expired(row, settings, now):
        db.delete(row)
        return None, True
    actor = None
    if row.account_id is not None:
        account = db.get(m.Account, row.account_id)
        if account is None or not account.is_enabled:
            db.delete(row)
            return None, True
        actor = actor_of(account, address)
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return BrowserSession(row.id, row.csrf_token, actor, dict(row.data or {})), False


def create(
    db: Session,
    settings: Settings,
    *,
    account: m.Account | None,
    address: str | None,
    data: dict[str, Any] | None = None,
    replaces: str | None = None,
) -> BrowserSession:
    """A new session (and cookie value); ``replaces`` ends the session it succeeds."""
    if replaces is not None:
        db.execute(delete(m.WebSession).where(m.WebSession.id == replaces))
    now = now_wib()
    value = secrets.token_urlsafe(32)
    lifetime = (
        timedelta(hours=settings.web_session_max_hours)
        if account is not None
        else _ANONYMOUS_LIFETIME
    )
    row = m.WebSession(
        id=_key(value),
        account_id=account.id if account is not None else None,
        csrf_token=secrets.token_urlsafe(32),
        data=data or {},
        client_address=(address or "")[:64] or None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    db.add(row)
    db.flush()
    actor = actor_of(account, address) if account is not None else None
    return BrowserSession(row.id, row.csrf_token, actor, dict(row.data), cookie_value=value)


def save_data(db: Session, key: str, data: dict[str, Any]) -> None:
    row = db.get(m.WebSession, key)
    if row is not None:
        row.data = dict(data)


def end(db: Session, key: str) -> None:
    db.execute(delete(m.WebSession).where(m.WebSession.id == key))


def prune(db: Session, settings: Settings) -> int:
    """Delete sessions that have ended (absolute or idle expiry)."""
    now = now_wib()
    idle = now - timedelta(minutes=settings.web_session_idle_minutes)
    ended = db.scalars(
        select(m.WebSession.id).where(
            (m.WebSession.expires_at <= now) | (m.WebSession.last_seen_at <= idle)
        )
    ).all()
    if ended:
        db.execute(delete(m.WebSession).where(m.WebSession.id.in_(ended)))
    return len(ended)
