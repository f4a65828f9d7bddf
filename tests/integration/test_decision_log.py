"""The review decision log refuses every change but an insert: update, delete, replace and
truncate on both databases; on PostgreSQL the application's role (``iku db grant``) cannot
truncate, disable the triggers, replace their function or drop the table either."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from iku import migrate
from iku import models as m
from iku.db import make_engine, now_wib, session_scope
from iku.ingest.context import IngestContext
from iku.ingest.service import ingest_paths
from iku.rules import load_rules
from quality.review import accept_issue, list_issues
from quality.validate import validate_period
from tests.conftest import POSTGRES_URL, RULES_FILE
from tests.integration.ingest_helpers import csv_text, put


def _issue(engine: Engine) -> int:
    """A validation issue to decide (the decision log refers to one)."""
    with session_scope(engine) as session:
        agency = session.scalars(select(m.Agency)).first()
        assert agency is not None
        submission = m.Submission(
            agency_id=agency.id,
            period="2026-10",
            file_name="x.csv",
            file_format="csv",
            sha256=uuid.uuid4().hex * 2,
            size_bytes=1,
            archive_path="/dev/null",
            status="validated",
        )
        session.add(submission)
        session.flush()
        issue = m.ValidationIssue(
            submission_id=submission.id, rule="outlier_zscore", severity="warning", message="x"
        )
        session.add(issue)
        session.flush()
        return issue.id


def _decide(connection: sa.Connection, issue_id: int, note: str = "ok") -> int:
    return int(
        connection.execute(
            sa.insert(m.ReviewDecision)
            .values(
                issue_id=issue_id,
                decision="accept",
                decided_by="Rina",
                note=note,
                decided_at=now_wib(),
            )
            .returning(m.ReviewDecision.id)
        ).scalar_one()
    )


def _refused(engine: Engine, statement: str, match: str = "append-only") -> None:
    with pytest.raises(DBAPIError, match=match), engine.begin() as connection:
        connection.execute(sa.text(statement))


def test_decisions_are_added_and_read_but_never_changed(loaded: Engine) -> None:
    issue_id = _issue(loaded)
    with loaded.begin() as connection:
        decision_id = _decide(connection, issue_id)
    _refused(loaded, "UPDATE review_decision SET note = 'changed'")
    _refused(loaded, f"DELETE FROM review_decision WHERE id = {decision_id}")
    _refused(loaded, "DELETE FROM review_decision")  # SQLite's truncate optimisation
    if loaded.dialect.name == "postgresql":
        _refused(loaded, "TRUNCATE review_decision")
        _refused(loaded, "TRUNCATE validation_issue CASCADE")
    else:
        _refused(
            loaded,
            "INSERT OR REPLACE INTO review_decision (id, issue_id, decision, decided_by, note, "
            f"decided_at) VALUES ({decision_id}, {issue_id}, 'reject', 'Mallory', 'rewritten', "
            "'2026-11-05 00:00:00')",
        )
        _refused(
            loaded,
            "REPLACE INTO review_decision (id, issue_id, decision, decided_by, note, decided_at) "
            f"VALUES ({decision_id}, {issue_id}, 'reject', 'Mallory', 'x', '2026-11-05')",
        )
    with loaded.begin() as connection:
        _decide(connection, issue_id, "a second, later decision is a new row")
        rows = connection.execute(
            select(
                m.ReviewDecision.id, m.ReviewDecision.decided_by, m.ReviewDecision.note
            ).order_by(m.ReviewDecision.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (decision_id, "Rina", "ok"),
        (decision_id + 1, "Rina", "a second, later decision is a new row"),
    ]


@pytest.fixture
def app_role(loaded: Engine) -> Iterator[tuple[str, Engine]]:
    """A plain role set up with ``iku db grant``, and an engine connected as it (the test
    server's superuser switches to it at connection start)."""
    if loaded.dialect.name != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    role = f"iku_app_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE ROLE "{role}" NOLOGIN'))
    with loaded.connect() as connection:
        schema = connection.scalar(sa.text("SELECT current_schema()")) or ""
    app = make_engine(
        POSTGRES_URL, connect_args={"options": f"-csearch_path={schema} -crole={role}"}
    )
    try:
        migrate.grant_application_role(loaded, role)
        yield role, app
    finally:
        app.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
            connection.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.mark.postgres
def test_the_application_role_cannot_rewrite_truncate_or_unprotect_the_log(
    loaded: Engine, app_role: tuple[str, Engine]
) -> None:
    role, app = app_role
    with app.connect() as connection:
        assert connection.scalar(sa.text("SELECT current_user")) == role
    issue_id = _issue(app)
    with app.begin() as connection:
        _decide(connection, issue_id)
        assert connection.scalar(sa.text("SELECT count(*) FROM review_decision")) == 1
    denied = "permission denied|must be owner"
    for statement in (
        "UPDATE review_decision SET note = 'changed'",
        "DELETE FROM review_decision",
        "TRUNCATE review_decision",
        "ALTER TABLE review_decision DISABLE TRIGGER review_decision_append_only",
        "ALTER TABLE review_decision DISABLE TRIGGER ALL",
        "ALTER TABLE review_decision OWNER TO CURRENT_USER",
        "DROP TRIGGER review_decision_append_only ON review_decision",
        "CREATE OR REPLACE FUNCTION review_decision_append_only() RETURNS trigger AS "
        "$$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
        "DROP TABLE review_decision CASCADE",
        "UPDATE alembic_version SET version_num = 'x'",
    ):
        _refused(app, statement, denied)
    with loaded.connect() as connection:  # as the owner: the log is whole
        assert connection.scalar(sa.text("SELECT count(*) FROM review_decision")) == 1


@pytest.mark.postgres
def test_the_application_works_as_its_role(
    loaded: Engine, app_role: tuple[str, Engine], tmp_path: Path
) -> None:
    """Ingest, validate and a steward's decision, all as the application role: the grants
    are enough for the application, and the decision lands in the log."""
    _, app = app_role
    rules = load_rules(RULES_FILE)
    context = IngestContext.load(app, rules, tmp_path / "archive", tmp_path / "out")
    put(
        tmp_path / "inbox" / "DINKES" / "oktober.csv",
        csv_text("DINKES;2026-10;DINKES-01;abc;;;", "DINKES;2026-10;DINKES-02;85,5;;;"),
    )
    summary = ingest_paths([tmp_path / "inbox"], context=context)
    assert summary.submissions_created == 1
    with session_scope(app) as session:
        validate_period(session, "2026-10", rules)
    with session_scope(app) as session:
        [issue] = [i for i in list_issues(session, period="2026-10") if i.severity == "error"]
        accept_issue(
            session,
            issue.id,
            rules=load_rules(RULES_FILE),
            by="Rina",
            note="angka dari surat dinas",
            value=12.5,
            confirm=True,  # the roles are what is tested here, not plausibility
        )
    with session_scope(app) as session:
        decisions = list(session.scalars(select(m.ReviewDecision)))
    assert [(d.decision, d.value) for d in decisions] == [("accept", 12.5)]


@pytest.mark.postgres
def test_grant_refuses_an_owner_or_a_superuser(loaded: Engine) -> None:
    if loaded.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with loaded.connect() as connection:
        me = connection.scalar(sa.text("SELECT current_user"))
    with pytest.raises(migrate.RoleError, match="superuser"):
        migrate.grant_application_role(loaded, str(me))
    with pytest.raises(migrate.RoleError, match="tidak ada; buat dulu"):
        migrate.grant_application_role(loaded, "no_such_role_here")


def test_grant_is_for_postgresql(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(migrate.RoleError, match="hanya ada di PostgreSQL"):
        migrate.grant_application_role(engine, "iku_app")
