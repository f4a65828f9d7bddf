"""Who may do what, on which agency's data: the one place roles and agency scope are decided.

Every page, API call and file download of the web application, and every operation the CLI
runs under a named account, asks :func:`can` / :func:`require` here; nothing is protected by
hiding a link. The rules:

- A role grants a set of :class:`Action`.
- Data actions (``Action.scoped``) also need the agency in the actor's scope. ``admin``,
  ``bureau`` and ``leader`` see every agency; a ``steward`` sees the agencies listed on the
  account, or every agency when none is listed; ``agency`` and ``agency_head`` see their one
  agency. Data that belongs to no single agency (the province bulletin, sector and province
  figures) is asked for with ``agency_code=None`` and needs a scope of every agency.
- Submitting data (``Action.SUBMIT``: the portal, ``POST /api/v1/submissions``) is for an
  agency's data officer (``agency``), for its own agency only; the submissions and their
  versions (``Action.SUBMISSION_READ``) are read like the other agency data.
- The leaders' dashboard (``Action.DASHBOARD_READ``) is for ``leader``, ``bureau`` (every
  agency) and ``agency_head`` (its own agency: the province and sector levels, and every other
  agency, are refused); an agency's data officer (``agency``) and stewards have no dashboard.
- Bulletins (:func:`can_read_bulletin`): an agency's bulletin, in every revision (current or
  superseded), is for that agency's scope; the province bulletin and the period's index show
  every agency's figures, so they need a scope of every agency. The archive lists and the
  downloads answer by the same rule.
- Periods (:mod:`iku.periods`): the status is read by ``bureau`` and ``leader`` (every
  agency) and by ``agency`` and ``agency_head`` (their own agency); the agency head approves
  its own agency's month (``PERIOD_APPROVE``, scoped); the bureau verifies a month
  (``PERIOD_VERIFY``) and locks, reopens and publishes a period (``PERIOD_MANAGE``, asked with
  ``agency_code=None``: a period belongs to no single agency).
- Outside the scope the answer is "forbidden" (HTTP 403); what does not exist is "not found"
  (404), checked before the scope, as the issue's acceptance asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class Role(StrEnum):
    ADMIN = "admin"  # accounts, tokens, settings; the audit log
    BUREAU = "bureau"  # runs cycles, sees everything, the audit log
    STEWARD = "steward"  # decides review items (every agency, or the listed ones)
    AGENCY = "agency"  # an agency's data officer: its own agency only
    AGENCY_HEAD = "agency_head"  # reads (later approves) its own agency
    LEADER = "leader"  # reads everything, changes nothing


class Action(StrEnum):
    REVIEW_READ = "review.read"
    REVIEW_DECIDE = "review.decide"
    ACHIEVEMENT_READ = "achievement.read"
    BULLETIN_READ = "bulletin.read"
    SUBMISSION_FILE_READ = "submission_file.read"
    AUDIT_READ = "audit.read"
    ACCOUNT_MANAGE = "account.manage"
    DASHBOARD_READ = "dashboard.read"
    SUBMISSION_READ = "submission.read"
    SUBMIT = "submission.create"
    PERIOD_READ = "period.read"  # a period's approval and lock status (own agency, or all)
    PERIOD_APPROVE = "period.approve"  # the agency head approves its agency's month
    PERIOD_VERIFY = "period.verify"  # the bureau verifies an approved month
    PERIOD_MANAGE = "period.manage"  # lock, reopen (with a reason) and publish a period

    @property
    def scoped(self) -> bool:
        """Whether the action concerns one agency's data (and so the actor's agency scope)."""
        return self not in _UNSCOPED


_UNSCOPED: Final = frozenset({Action.AUDIT_READ, Action.ACCOUNT_MANAGE})

_READ_DATA: Final = frozenset(
    {
        Action.REVIEW_READ,
        Action.ACHIEVEMENT_READ,
        Action.BULLETIN_READ,
        Action.SUBMISSION_FILE_READ,
        Action.SUBMISSION_READ,
    }
)

#: What each role may do (before the agency scope is applied).
ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    Role.ADMIN: frozenset({Action.ACCOUNT_MANAGE, Action.AUDIT_READ}),
    Role.BUREAU: _READ_DATA
    | {
        Action.AUDIT_READ,
        Action.DASHBOARD_READ,
        Action.PERIOD_READ,
        Action.PERIOD_VERIFY,
        Action.PERIOD_MANAGE,
    },
    Role.STEWARD: _READ_DATA | {Action.REVIEW_DECIDE},
    Role.AGENCY: _READ_DATA | {Action.PERIOD_READ, Action.SUBMIT},
    Role.AGENCY_HEAD: _READ_DATA
    | {Action.DASHBOARD_READ, Action.PERIOD_READ, Action.PERIOD_APPROVE},
    Role.LEADER: _READ_DATA | {Action.DASHBOARD_READ, Action.PERIOD_READ},
}

#: Roles whose scope is exactly one agency, and roles that may list agencies.
SINGLE_AGENCY_ROLES: Final = frozenset({Role.AGENCY, Role.AGENCY_HEAD})
LISTED_AGENCY_ROLES: Final = frozenset({Role.STEWARD})


class AccessDenied(PermissionError):
    """The actor may not do this (HTTP 403). The message is a sentence for the person."""

    def __init__(self, action: Action, agency_code: str | None = None) -> None:
        super().__init__(f"{action.value} denied" + (f" for {agency_code}" if agency_code else ""))
        self.action = action
        self.agency_code = agency_code


@dataclass(frozen=True)
class Actor:
    """Someone acting: a signed-in account (web, API) or an operator naming an account (CLI).

    ``agencies`` is the account's list; empty means every agency for the roles that see every
    agency (and for a steward without a list). ``address`` is where the action came from: the
    client's IP address, or ``cli:user@host``.
    """

    username: str
    role: Role
    agencies: frozenset[str] = field(default_factory=frozenset)
    account_id: int | None = None
    address: str | None = None

    @property
    def all_agencies(self) -> bool:
        if self.role in SINGLE_AGENCY_ROLES:
            return False
        return not (self.role in LISTED_AGENCY_ROLES and self.agencies)

    def at(self, address: str | None) -> Actor:
        """The same actor acting from ``address``."""
        return Actor(self.username, self.role, self.agencies, self.account_id, address)


def check_scope(role: Role, agencies: Iterable[str]) -> None:
    """Refuse an account whose agency list does not fit its role (ValueError in English;
    callers translate)."""
    listed = set(agencies)
    if role in SINGLE_AGENCY_ROLES and len(listed) != 1:
        raise ValueError(f"role {role.value} needs exactly one agency")
    if role not in SINGLE_AGENCY_ROLES | LISTED_AGENCY_ROLES and listed:
        raise ValueError(f"role {role.value} sees every agency; give no agency")


def can(actor: Actor, action: Action, agency_code: str | None = None) -> bool:
    """Whether ``actor`` may do ``action`` on ``agency_code``'s data (None: data of no single
    agency, which needs a scope of every agency). Unscoped actions ignore ``agency_code``."""
    if action not in ROLE_ACTIONS[actor.role]:
        return False
    if not action.scoped or actor.all_agencies:
        return True
    return agency_code is not None and agency_code in actor.agencies


def require(actor: Actor, action: Action, agency_code: str | None = None) -> None:
    """Raise :class:`AccessDenied` unless :func:`can`."""
    if not can(actor, action, agency_code):
        raise AccessDenied(action, agency_code)


def can_read_bulletin(actor: Actor, agency_code: str | None) -> bool:
    """Whether ``actor`` may list and download a bulletin of ``agency_code`` (None: the province
    bulletin or the index), whatever its revision."""
    return can(actor, Action.BULLETIN_READ, agency_code)


def visible_agencies(actor: Actor, action: Action) -> frozenset[str] | None:
    """The agencies whose data ``actor`` may ``action`` (None: every agency); raises
    :class:`AccessDenied` when the role does not have the action at all. Lists filter by this."""
    if action not in ROLE_ACTIONS[actor.role]:
        raise AccessDenied(action)
    return None if actor.all_agencies else actor.agencies


def narrow(actor: Actor, action: Action, requested: str | None) -> frozenset[str] | None:
    """The agency filter of a list request: the requested agency (403 if outside the scope),
    else the actor's whole scope (None: every agency)."""
    scope = visible_agencies(actor, action)
    if requested:
        require(actor, action, requested)
        return frozenset({requested})
    return scope
