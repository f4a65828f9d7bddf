"""Accounts: argon2 passwords and their policy, sign-in with throttling, API tokens.

- Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when they change). The
  policy: at least 12 characters, not containing the username, not a common password (or a
  common word followed only by digits and punctuation).
- Sign-in is throttled per username and per client address: after ``max_failures`` failures
  (``max_failures_per_address`` from one address) within ``lock_minutes``, every attempt is
  refused until the window has passed. Every failure is logged (username, address, reason:
  never the password) and kept in ``sign_in_failure``, which is what the throttle counts.
- Bearer tokens are random (256 bits) and stored as their sha256: ``access`` tokens from the
  OAuth2 password flow expire after minutes, ``api`` tokens an admin issues live until revoked
  (or their optional expiry).

Messages are sentences for people, through :mod:`iku.i18n`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from iku import models as m
from iku.access import Actor, Role, check_scope
from iku.db import now_wib
from iku.i18n import _

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from iku.settings import Settings

log = logging.getLogger("iku.auth")

MIN_PASSWORD_LENGTH: Final = 12
USERNAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
COMMON_PASSWORDS_FILE: Final = Path(__file__).with_name("common_passwords.txt")
TOKEN_PREFIXES: Final = {"access": "ikuat_", "api": "ikuapi_"}
_TRAILING = re.compile(r"[\d\W_]+$")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says what to do."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so both take as long."""
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(s.strip().lower() for s in lines if s.strip() and not s.startswith("#"))


def password_problems(password: str, username: str) -> list[str]:
    """Why ``password`` is refused for ``username`` (empty: it is accepted)."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            _(
                "The password must be at least %(min)s characters long.",
                min=MIN_PASSWORD_LENGTH,
            )
        )
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append(_("The password must not contain the username."))
    common = common_passwords()
    if (
        lowered in common
        or _TRAILING.sub("", lowered) in common
        or len(set(lowered)) <= 2
        or lowered in "01234567890123456789"
        or lowered in "abcdefghijklmnopqrstuvwxyz"
    ):
        problems.append(_("This password is too common or too easy to guess; choose another."))
    return problems


def check_password(password: str, username: str) -> None:
    problems = password_problems(password, username)
    if problems:
        raise AccountError(" ".join(problems))


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise AccountError(
            _(
                "The username '%(name)s' is not valid: use 2 to 64 lower-case letters, digits, "
                "dots, hyphens or underscores, starting with a letter or digit.",
                name=username,
            )
        )
    return name


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError(
            _(
                "Unknown role '%(role)s'; choose one of: %(roles)s.",
                role=role,
                roles=", ".join(r.value for r in Role),
            )
        ) from None


def _agency_ids(session: Session, codes: Iterable[str]) -> list[int]:
    wanted = sorted({c.strip().upper() for c in codes if c.strip()})
    found = dict(
        session.execute(select(m.Agency.code, m.Agency.id).where(m.Agency.code.in_(wanted))).all()
    )
    missing = [c for c in wanted if c not in found]
    if missing:
        raise AccountError(
            _(
                "Unknown agency code: %(codes)s. `iku catalog load` loads the agencies.",
                codes=", ".join(missing),
            )
        )
    return [found[c] for c in wanted]


def find_account(session: Session, username: str) -> m.Account | None:
    return session.scalar(
        select(m.Account)
        .where(m.Account.username == normalise_username(username))
        .options(selectinload(m.Account.agencies).selectinload(m.AccountAgency.agency))
    )


def create_account(
    session: Session,
    username: str,
    *,
    role: str,
    password: str | None,
    agencies: Sequence[str] = (),
    display_name: str = "",
    language: str | None = None,
) -> m.Account:
    """Create an account (``password`` None: it signs in only through OpenID Connect)."""
    name = _check_username(username)
    chosen = _role(role)
    try:
        check_scope(chosen, [a for a in agencies if a.strip()])
    except ValueError:
        if chosen in (Role.AGENCY, Role.AGENCY_HEAD):
            raise AccountError(
                _("Role %(role)s needs exactly one agency: --agency CODE.", role=chosen.value)
            ) from None
        raise AccountError(
            _(
                "Role %(role)s sees every agency; give no --agency (only a steward may be "
                "limited to listed agencies).",
                role=chosen.value,
            )
        ) from None
    if find_account(session, name) is not None:
        raise AccountError(
            _(
                "The username '%(name)s' is already taken (usernames are never reused); "
                "choose another.",
                name=name,
            )
        )
    if language is not None and language not in ("id", "en"):
        raise AccountError(_("The language must be id or en."))
    if password is not None:
        check_password(password, name)
    account = m.Account(
        username=name,
        display_name=display_name.strip() or name,
        role=chosen.value,
        password_hash=hash_password(password) if password is not None else None,
        language=language,
        is_enabled=True,
    )
    session.add(account)
    session.flush()
    for agency_id in _agency_ids(session, agencies):
        session.add(m.AccountAgency(account_id=account.id, agency_id=agency_id))
    session.flush()
    session.refresh(account)
    return account


def list_accounts(session: Session) -> list[m.Account]:
    return list(
        session.scalars(
            select(m.Account)
            .order_by(m.Account.username)
            .options(selectinload(m.Account.agencies).selectinload(m.AccountAgency.agency))
        )
    )


def agency_codes(account: m.Account) -> list[str]:
    return sorted(link.agency.code for link in account.agencies)


def disable_account(session: Session, username: str) -> m.Account:
    """Disable an account: it cannot sign in, its sessions end and its tokens stop working."""
    account = find_account(session, username)
    if account is None:
        raise AccountError(_("There is no account '%(name)s'.", name=username))
    if account.is_enabled:
        account.is_enabled = False
        account.disabled_at = now_wib()
    session.execute(delete(m.WebSession).where(m.WebSession.account_id == account.id))
    session.execute(
        update(m.ApiToken)
        .where(m.ApiToken.account_id == account.id, m.ApiToken.revoked_at.is_(None))
        .values(revoked_at=now_wib())
    )
    session.flush()
    return account


def actor_of(account: m.Account, address: str | None = None) -> Actor:
    return Actor(
        username=account.username,
        role=Role(account.role),
        agencies=frozenset(agency_codes(account)),
        account_id=account.id,
        address=address,
    )


def named_actor(session: Session, username: str, address: str | None = None) -> Actor:
    """The actor of an existing, enabled account (the CLI's ``--by USERNAME``)."""
    account = find_account(session, username)
    if account is None:
        raise AccountError(
            _(
                "There is no account '%(name)s'; `iku users list` shows the accounts and "
                "`iku users add` creates one.",
                name=username,
            )
        )
    if not account.is_enabled:
        raise AccountError(_("The account '%(name)s' is disabled.", name=account.username))
    return actor_of(account, address)


# --- Sign-in and its throttle ----------------------------------------------------------------


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5
    max_failures_per_address: int = 20
    lock_minutes: int = 15

    @classmethod
    def of(cls, settings: Settings) -> SignInPolicy:
        return cls(
            max_failures=settings.web_signin_max_failures,
            max_failures_per_address=settings.web_signin_max_failures_per_address,
            lock_minutes=settings.web_signin_lock_minutes,
        )


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: an account, or a refusal (locked until a time)."""

    account: m.Account | None
    locked_until: datetime | None = None

    @property
    def retry_after_seconds(self) -> int:
        if self.locked_until is None:
            return 0
        return max(1, int((self.locked_until - now_wib()).total_seconds()) + 1)


def _locked_until(
    session: Session,
    column: InstrumentedAttribute[str],
    value: str,
    limit: int,
    window: timedelta,
    now: datetime,
) -> datetime | None:
    times = session.scalars(
        select(m.SignInFailure.failed_at)
        .where(column == value, m.SignInFailure.failed_at > now - window)
        .order_by(m.SignInFailure.failed_at.desc())
        .limit(limit)
    ).all()
    if len(times) < limit:
        return None
    return min(times) + window


def lock_state(
    session: Session, username: str, address: str, policy: SignInPolicy, now: datetime
) -> datetime | None:
    """Until when sign-in is locked for this username or this address (None: not locked)."""
    window = timedelta(minutes=policy.lock_minutes)
    by_user = _locked_until(
        session, m.SignInFailure.username, username, policy.max_failures, window, now
    )
    by_address = _locked_until(
        session,
        m.SignInFailure.client_address,
        address,
        policy.max_failures_per_address,
        window,
        now,
    )
    locks = [t for t in (by_user, by_address) if t is not None]
    return max(locks) if locks else None


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    policy: SignInPolicy,
    channel: str,
) -> SignIn:
    """Check a username and password, with the throttle. A failure is recorded in the
    caller's transaction (commit it even though the sign-in failed)."""
    name = normalise_username(username)[:64]
    now = now_wib()
    locked = lock_state(session, name, address, policy, now)
    if locked is not None:
        log.warning(
            "sign-in refused (locked until %s): user=%r address=%s channel=%s",
            locked.isoformat(timespec="seconds"),
            name,
            address,
            channel,
        )
        return SignIn(None, locked)
    account = find_account(session, name) if name else None
    if account is None or account.password_hash is None:
        _verify(_dummy_hash(), password)
        reason = "unknown_user" if account is None else "no_password"
    elif not _verify(account.password_hash, password):
        reason = "bad_password"
    elif not account.is_enabled:
        reason = "disabled"
    else:
        if _hasher().check_needs_rehash(account.password_hash):
            account.password_hash = hash_password(password)
        account.last_sign_in_at = now
        session.execute(delete(m.SignInFailure).where(m.SignInFailure.username == name))
        log.info("sign-in: user=%r address=%s channel=%s", name, address, channel)
        return SignIn(account)
    session.add(
        m.SignInFailure(username=name, client_address=address[:64], reason=reason, failed_at=now)
    )
    session.flush()
    log.warning(
        "sign-in failed: user=%r address=%s channel=%s reason=%s", name, address, channel, reason
    )
    return SignIn(None, lock_state(session, name, address, policy, now))


def prune_failures(session: Session, policy: SignInPolicy) -> None:
    """Forget failures older than the lock window (they no longer count)."""
    horizon = now_wib() - timedelta(minutes=policy.lock_minutes)
    session.execute(delete(m.SignInFailure).where(m.SignInFailure.failed_at < horizon))


# --- Bearer tokens ----------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session,
    account: m.Account,
    *,
    kind: str,
    name: str = "",
    created_by: str | None = None,
    lifetime: timedelta | None = None,
) -> tuple[str, m.ApiToken]:
    """A new bearer token for ``account``: the token itself (shown once) and its row."""
    if not account.is_enabled:
        raise AccountError(_("The account '%(name)s' is disabled.", name=account.username))
    token = TOKEN_PREFIXES[kind] + secrets.token_urlsafe(32)
    row = m.ApiToken(
        account_id=account.id,
        kind=kind,
        token_hash=token_hash(token),
        name=name,
        created_by=created_by,
        expires_at=now_wib() + lifetime if lifetime is not None else None,
    )
    session.add(row)
    session.flush()
    return token, row


def actor_for_token(session: Session, token: str, address: str | None) -> Actor | None:
    """The actor a bearer token stands for (None: unknown, expired, revoked or disabled).

    One query for the token, its account and the account's agencies, as columns: every API
    call asks this first, so it reads no ORM entities (loading them and their agency lists
    was a tenth of a busy web process's time)."""
    if not token.startswith(tuple(TOKEN_PREFIXES.values())):
        return None
    now = now_wib()
    found = session.execute(
        select(
            m.ApiToken.id,
            m.ApiToken.revoked_at,
            m.ApiToken.expires_at,
            m.ApiToken.last_used_at,
            m.Account.id,
            m.Account.username,
            m.Account.role,
            m.Account.is_enabled,
            m.Agency.code,
        )
        .join(m.Account, m.Account.id == m.ApiToken.account_id)
        .outerjoin(m.AccountAgency, m.AccountAgency.account_id == m.Account.id)
        .outerjoin(m.Agency, m.Agency.id == m.AccountAgency.agency_id)
        .where(m.ApiToken.token_hash == token_hash(token))
    ).all()
    if not found:
        return None
    token_id, revoked_at, expires_at, last_used_at, account_id, username, role, enabled, _c = found[
        0
    ]
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        return None
    if not enabled:
        return None
    if last_used_at is None or now - last_used_at > timedelta(minutes=1):
        session.execute(
            update(m.ApiToken).where(m.ApiToken.id == token_id).values(last_used_at=now)
        )
    return Actor(
        username=username,
        role=Role(role),
        agencies=frozenset(row[-1] for row in found if row[-1] is not None),
        account_id=account_id,
        address=address,
    )


def list_tokens(session: Session, *, kind: str | None = "api") -> list[tuple[m.ApiToken, str]]:
    query = (
        select(m.ApiToken, m.Account.username)
        .join(m.Account, m.Account.id == m.ApiToken.account_id)
        .order_by(m.ApiToken.id)
    )
    if kind:
        query = query.where(m.ApiToken.kind == kind)
    return [(t, u) for t, u in session.execute(query).all()]


def revoke_token(session: Session, token_id: int) -> m.ApiToken:
    row = session.get(m.ApiToken, token_id)
    if row is None:
        raise AccountError(_("There is no token #%(id)s.", id=token_id))
    if row.revoked_at is None:
        row.revoked_at = now_wib()
    session.flush()
    return row


def prune_tokens(session: Session) -> None:
    """Forget access tokens that expired (API tokens stay, revoked or not, for the record)."""
    session.execute(
        delete(m.ApiToken).where(m.ApiToken.kind == "access", m.ApiToken.expires_at < now_wib())
    )


def count_enabled_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(m.Account)
            .where(m.Account.role == "admin", m.Account.is_enabled.is_(True))
        )
        or 0
    )
