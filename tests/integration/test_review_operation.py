"""``iku.operations.review.decide_issue`` on both databases: the decision under the actor's
username, the figures of the period and of the later computed periods, the static review
pages, the audit event; and nothing at all when the actor may not decide."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from iku import models as m
from iku.access import AccessDenied, Actor, Role
from iku.db import session_scope
from iku.rules import load_rules
from iku.runtime import Runtime
from iku.settings import Settings
from quality.review import ReviewError
from quality.validate import validate_period
from tests.conftest import RULES_FILE
from tests.integration.test_validation import _history, _october

STEWARD = Actor("rina", Role.STEWARD, frozenset({"DINKES"}), address="10.0.0.5")


@pytest.fixture
def runtime(loaded: Engine, tmp_path: Path) -> Runtime:
    with session_scope(loaded) as session:
        _history(session)
        _october(session)
    with session_scope(loaded) as session:
        validate_period(session, "2026-10", load_rules(RULES_FILE))
    return Runtime(
        Settings(output_dir=tmp_path / "out"), engine=loaded, rules=load_rules(RULES_FILE)
    )


def _issue(engine: Engine, rule: str) -> int:
    with session_scope(engine) as session:
        return session.scalars(
            select(m.ValidationIssue.id).where(m.ValidationIssue.rule == rule)
        ).one()


def _realisasi(engine: Engine, period: str, code: str) -> float | None:
    with session_scope(engine) as session:
        return session.scalar(
            select(m.Achievement.realisasi)
            .join(m.Indicator, m.Indicator.id == m.Achievement.indicator_id)
            .where(m.Achievement.period == period, m.Indicator.code == code)
        )


def test_a_decision_recomputes_and_refreshes_what_stewards_see(runtime: Runtime) -> None:
    from iku.bulletins.review_page import render_review_page
    from iku.engine.store import compute_period
    from iku.operations.review import decide_issue

    engine = runtime.engine
    issue_id = _issue(engine, "not_a_number")
    with session_scope(engine) as session:
        compute_period(session, "2026-10", runtime.rules)
        compute_period(session, "2026-11", runtime.rules)  # a later month already computed
        page = render_review_page(
            session, "2026-10", runtime.rules, runtime.paths.period_dir("2026-10")
        )
    assert "abc" in page.read_text(encoding="utf-8")  # the held row is listed
    assert _realisasi(engine, "2026-10", "DINKES-04") is None

    decided = decide_issue(
        runtime, issue_id, "accept", actor=STEWARD, note="dikonfirmasi via telepon", value=7.0
    )
    assert decided.issue.status == "accepted" and decided.decided_by == "rina"
    assert decided.recomputed == ("2026-10", "2026-11")
    assert _realisasi(engine, "2026-10", "DINKES-04") == 7.0
    with session_scope(engine) as session:
        event = session.scalars(select(m.AuditEvent)).one()
        assert (event.actor, event.role, event.client_address) == ("rina", "steward", "10.0.0.5")
        assert event.details["value"] == 7.0 and event.agency_code == "DINKES"
    assert "'abc'" not in page.read_text(encoding="utf-8")  # rewritten without the item


@pytest.mark.parametrize(
    "actor",
    [
        Actor("pimpinan", Role.LEADER),
        Actor("biro", Role.BUREAU),
        Actor("sd", Role.STEWARD, frozenset({"DISDIKBUD"})),
        Actor("opd", Role.AGENCY, frozenset({"DINKES"})),
    ],
)
def test_an_actor_who_may_not_decide_changes_nothing(runtime: Runtime, actor: Actor) -> None:
    from iku.operations.review import decide_issue

    issue_id = _issue(runtime.engine, "missing_evidence")
    with pytest.raises(AccessDenied):
        decide_issue(runtime, issue_id, "reject", actor=actor, note="tidak")
    with session_scope(runtime.engine) as session:
        assert session.get(m.ValidationIssue, issue_id).status == "open"  # type: ignore[union-attr]
        assert session.scalars(select(m.ReviewDecision)).all() == []
        assert session.scalars(select(m.AuditEvent)).all() == []


def test_refused_decisions_say_why(runtime: Runtime) -> None:
    from iku.operations.review import decide_issue

    issue_id = _issue(runtime.engine, "not_a_number")
    for decision, value, reason in (
        ("accept", None, "value_required"),
        ("maybe", None, "invalid_decision"),
        ("reject", 3.0, "value_with_reject"),
    ):
        with pytest.raises(ReviewError) as caught:
            decide_issue(runtime, issue_id, decision, actor=STEWARD, note="x", value=value)
        assert caught.value.reason == reason
    with pytest.raises(ReviewError) as missing:
        decide_issue(runtime, 999999, "reject", actor=STEWARD, note="x")
    assert missing.value.reason == "not_found"
