"""Roles and agency scope (iku.access): the whole table, one case per role and action."""

from __future__ import annotations

import pytest

from iku.access import (
    AccessDenied,
    Action,
    Actor,
    Role,
    can,
    can_read_bulletin,
    check_scope,
    narrow,
    visible_agencies,
)

ADMIN = Actor("admin", Role.ADMIN)
BUREAU = Actor("biro", Role.BUREAU)
STEWARD = Actor("rina", Role.STEWARD)
STEWARD_DINKES = Actor("sd", Role.STEWARD, frozenset({"DINKES"}))
AGENCY = Actor("opd", Role.AGENCY, frozenset({"DINKES"}))
HEAD = Actor("kadis", Role.AGENCY_HEAD, frozenset({"DINKES"}))
LEADER = Actor("pimpinan", Role.LEADER)

R, D, A, B, F, AU, AC = (
    Action.REVIEW_READ,
    Action.REVIEW_DECIDE,
    Action.ACHIEVEMENT_READ,
    Action.BULLETIN_READ,
    Action.SUBMISSION_FILE_READ,
    Action.AUDIT_READ,
    Action.ACCOUNT_MANAGE,
)
DB = Action.DASHBOARD_READ
SUB, SR = Action.SUBMIT, Action.SUBMISSION_READ
PR, PA, PV, PM = (
    Action.PERIOD_READ,
    Action.PERIOD_APPROVE,
    Action.PERIOD_VERIFY,
    Action.PERIOD_MANAGE,
)


@pytest.mark.parametrize(
    ("actor", "action", "agency", "allowed"),
    [
        # admin: accounts and the audit log, no agency data
        (ADMIN, AC, None, True),
        (ADMIN, AU, None, True),
        (ADMIN, R, "DINKES", False),
        (ADMIN, A, None, False),
        # bureau: reads everything, the audit log, decides nothing
        (BUREAU, R, "DISDIKBUD", True),
        (BUREAU, B, None, True),  # province bulletin
        (BUREAU, AU, None, True),
        (BUREAU, D, "DINKES", False),
        (BUREAU, AC, None, False),
        # steward without a list: every agency, decides
        (STEWARD, D, "DISDIKBUD", True),
        (STEWARD, B, None, True),
        (STEWARD, AU, None, False),
        # steward with a list: only those agencies, nothing province-wide
        (STEWARD_DINKES, D, "DINKES", True),
        (STEWARD_DINKES, D, "DISDIKBUD", False),
        (STEWARD_DINKES, B, None, False),
        # agency data officer: own agency, reads only
        (AGENCY, R, "DINKES", True),
        (AGENCY, F, "DINKES", True),
        (AGENCY, F, "DISDIKBUD", False),
        (AGENCY, D, "DINKES", False),
        (AGENCY, A, None, False),  # province figures
        # submitting: an agency's data officer, for its own agency only
        (AGENCY, SUB, "DINKES", True),
        (AGENCY, SUB, "DISDIKBUD", False),
        (AGENCY, SR, "DINKES", True),
        (AGENCY, SR, "DISDIKBUD", False),
        (HEAD, SUB, "DINKES", False),
        (STEWARD, SUB, "DINKES", False),
        (BUREAU, SUB, "DINKES", False),
        (LEADER, SR, "DISDIKBUD", True),
        # agency head: own agency, reads only
        (HEAD, A, "DINKES", True),
        (HEAD, R, "DISDIKBUD", False),
        (HEAD, D, "DINKES", False),
        # leader: reads everything, changes nothing
        (LEADER, A, None, True),
        (LEADER, F, "DISDIKBUD", True),
        (LEADER, D, "DINKES", False),
        (LEADER, AU, None, False),
        # the leaders' dashboard: leader and bureau everywhere, an agency head its own agency
        (LEADER, DB, None, True),
        (LEADER, DB, "DISDIKBUD", True),
        (BUREAU, DB, None, True),
        (HEAD, DB, "DINKES", True),
        (HEAD, DB, "DISDIKBUD", False),
        (HEAD, DB, None, False),  # the province and sector levels
        (AGENCY, DB, "DINKES", False),  # a data officer has no dashboard
        (STEWARD, DB, "DINKES", False),
        (ADMIN, DB, None, False),
        # periods: the head approves its own agency; the bureau verifies, locks, publishes
        (HEAD, PA, "DINKES", True),
        (HEAD, PA, "DISDIKBUD", False),
        (AGENCY, PA, "DINKES", False),
        (BUREAU, PA, "DINKES", False),
        (BUREAU, PV, "DISDIKBUD", True),
        (BUREAU, PM, None, True),
        (HEAD, PV, "DINKES", False),
        (HEAD, PM, None, False),
        (STEWARD, PM, None, False),
        (LEADER, PM, None, False),
        (ADMIN, PM, None, False),
        # the period's status: bureau and leader everywhere, agency roles their own agency
        (LEADER, PR, "DISDIKBUD", True),
        (AGENCY, PR, "DINKES", True),
        (AGENCY, PR, "DISDIKBUD", False),
        (HEAD, PR, "DINKES", True),
        (STEWARD, PR, "DINKES", False),
        (ADMIN, PR, None, False),
    ],
)
def test_can(actor: Actor, action: Action, agency: str | None, allowed: bool) -> None:
    assert can(actor, action, agency) is allowed


def test_lists_are_narrowed_to_the_scope() -> None:
    assert visible_agencies(BUREAU, R) is None
    assert visible_agencies(AGENCY, R) == frozenset({"DINKES"})
    assert narrow(AGENCY, R, None) == frozenset({"DINKES"})
    assert narrow(STEWARD, R, "DISDIKBUD") == frozenset({"DISDIKBUD"})
    with pytest.raises(AccessDenied):
        narrow(AGENCY, R, "DISDIKBUD")
    with pytest.raises(AccessDenied):
        visible_agencies(ADMIN, R)


@pytest.mark.parametrize(
    ("role", "agencies", "ok"),
    [
        (Role.AGENCY, ["DINKES"], True),
        (Role.AGENCY, [], False),
        (Role.AGENCY_HEAD, ["DINKES", "RSUDAM"], False),
        (Role.STEWARD, [], True),
        (Role.STEWARD, ["DINKES", "RSUDAM"], True),
        (Role.LEADER, ["DINKES"], False),
        (Role.ADMIN, [], True),
    ],
)
def test_account_scopes_fit_their_role(role: Role, agencies: list[str], ok: bool) -> None:
    if ok:
        check_scope(role, agencies)
    else:
        with pytest.raises(ValueError):
            check_scope(role, agencies)


@pytest.mark.parametrize(
    ("actor", "agency", "allowed"),
    [
        # an agency's bulletins (every revision) are for that agency's scope
        (AGENCY, "DINKES", True),
        (AGENCY, "DISDIKBUD", False),
        (HEAD, "DINKES", True),
        (HEAD, "DISDIKBUD", False),
        # the province bulletin shows every agency: a scope of every agency
        (AGENCY, None, False),
        (HEAD, None, False),
        (STEWARD_DINKES, None, False),
        (STEWARD, None, True),
        (LEADER, None, True),
        (BUREAU, "DISDIKBUD", True),
        (ADMIN, None, False),
    ],
)
def test_bulletin_rule(actor: Actor, agency: str | None, allowed: bool) -> None:
    assert can_read_bulletin(actor, agency) is allowed
