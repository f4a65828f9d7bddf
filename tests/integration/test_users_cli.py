"""``iku users ...`` and ``iku review accept|reject --by USERNAME`` on both databases: accounts,
the password policy, tokens, and decisions recorded under a named, enabled account."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from iku import models as m
from iku.cli import app
from iku.db import session_scope
from iku.runtime import process_runtime, reset_process_runtime
from tests.conftest import POSTGRES_URL

runner = CliRunner()
PASSWORD = "kata-sandi-operator-panjang"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, isolated_settings: object, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The CLI's database (IKU_DATABASE_URL): the SQLite default, or a fresh schema."""
    if request.param == "sqlite":
        yield process_runtime().settings.database_url
        return
    from tests import conftest

    if conftest._postgres_problem:
        pytest.skip(f"PostgreSQL unreachable: {conftest._postgres_problem}")
    schema = f"iku_cli_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    monkeypatch.setenv("IKU_DATABASE_URL", text)
    reset_process_runtime()
    try:
        yield text
    finally:
        reset_process_runtime()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _engine(url: str) -> Engine:
    engine = process_runtime().engine
    assert engine.url.render_as_string(hide_password=False) == url
    return engine


def _add(*args: str, password: str = PASSWORD) -> tuple[int, str]:
    result = runner.invoke(app, ["users", "add", *args, "--password-stdin"], input=password + "\n")
    return result.exit_code, result.output


def test_users_add_list_disable(database: str) -> None:
    assert runner.invoke(app, ["setup"]).exit_code == 0
    code, output = _add("admin", "--role", "admin")
    assert code == 0, output
    assert "Akun admin dibuat" in output
    for args, password, sentence in (
        (("budi", "--role", "steward"), "pendek", "minimal 12 karakter"),
        (("budi", "--role", "steward"), "budi-budi-budi-123", "nama pengguna"),
        (("budi", "--role", "steward"), "password1234", "terlalu umum"),
        (("opd", "--role", "agency"), PASSWORD, "tepat satu perangkat daerah"),
        (("opd", "--role", "agency", "--agency", "TIDAKADA"), PASSWORD, "tidak dikenal"),
        (("pimpinan", "--role", "leader", "--agency", "DINKES"), PASSWORD, "semua perangkat"),
        (("admin", "--role", "admin"), PASSWORD, "sudah dipakai"),
        (("Bukan Nama!", "--role", "leader"), PASSWORD, "tidak sah"),
        (("x1", "--role", "raja"), PASSWORD, "tidak dikenal"),
    ):
        code, output = _add(*args, password=password)
        assert code == 1 and sentence in output, output
    assert _add("opd_dinkes", "--role", "agency", "--agency", "dinkes")[0] == 0
    listed = runner.invoke(app, ["users", "list", "--json"])
    import json

    rows = {r["username"]: r for r in json.loads(listed.output)}
    assert rows["opd_dinkes"]["agencies"] == ["DINKES"] and rows["admin"]["role"] == "admin"
    assert runner.invoke(app, ["users", "disable", "opd_dinkes"]).exit_code == 0
    with session_scope(_engine(database)) as session:
        account = session.scalars(select(m.Account).where(m.Account.username == "opd_dinkes")).one()
        assert not account.is_enabled and account.password_hash.startswith("$argon2id$")
        actions = session.scalars(select(m.AuditEvent.action).order_by(m.AuditEvent.id)).all()
        assert actions == ["account.create", "account.create", "account.disable"]
    english = runner.invoke(app, ["users", "disable", "nobody"], env={"IKU_LANGUAGE": "en"})
    assert english.exit_code == 1 and "There is no account 'nobody'" in english.output


def test_api_tokens_issue_list_revoke(database: str) -> None:
    assert runner.invoke(app, ["setup"]).exit_code == 0
    assert _add("sistem_lain", "--role", "leader")[0] == 0
    issued = runner.invoke(app, ["users", "tokens", "issue", "sistem_lain", "--name", "dasbor"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    assert token.startswith("ikuapi_")
    with session_scope(_engine(database)) as session:
        from iku.accounts import actor_for_token, token_hash

        assert actor_for_token(session, token, None) is not None
        row = session.scalars(select(m.ApiToken)).one()
        assert row.token_hash == token_hash(token) and token not in row.token_hash
    listed = runner.invoke(app, ["users", "tokens", "list"])
    assert "dasbor" in listed.output and token not in listed.output
    assert runner.invoke(app, ["users", "tokens", "revoke", str(row.id)]).exit_code == 0
    with session_scope(_engine(database)) as session:
        assert actor_for_token(session, token, None) is None


def test_review_decisions_need_a_named_enabled_steward(database: str) -> None:
    from quality.validate import validate_period
    from tests.integration.test_validation import _history, _october

    assert runner.invoke(app, ["setup"]).exit_code == 0
    engine = _engine(database)
    with session_scope(engine) as session:
        _history(session)
        _october(session)
    with session_scope(engine) as session:
        validate_period(session, "2026-10", process_runtime().rules)
    with session_scope(engine) as session:
        issue_id = session.scalars(
            select(m.ValidationIssue.id).where(m.ValidationIssue.rule == "not_a_number")
        ).one()
    assert _add("rina", "--role", "steward", "--agency", "DINKES")[0] == 0
    assert _add("pimpinan", "--role", "leader")[0] == 0
    base = ["review", "accept", str(issue_id), "--note", "dikonfirmasi via telepon"]
    unknown = runner.invoke(app, [*base, "--by", "Rina (Biro Organisasi)"])
    assert unknown.exit_code == 1 and "Tidak ada akun" in unknown.output
    leader = runner.invoke(app, [*base, "--by", "pimpinan", "--value", "3"])
    assert leader.exit_code == 1 and "tidak berwenang" in leader.output
    # 7,5 maternal deaths in October: plausible against 95/12 (a corrected value is checked).
    accepted = runner.invoke(app, [*base, "--by", "rina", "--value", "7,5"])
    assert accepted.exit_code == 0, accepted.output
    assert "diterima oleh rina" in accepted.output and "2026-10" in accepted.output
    with session_scope(engine) as session:
        decision = session.scalars(select(m.ReviewDecision)).one()
        assert (decision.decided_by, decision.value) == ("rina", 7.5)
        event = session.scalars(
            select(m.AuditEvent).where(m.AuditEvent.action == "review.decide")
        ).one()
        assert event.actor == "rina" and (event.client_address or "").startswith("cli:")
        figures = session.scalar(
            select(sa.func.count())
            .select_from(m.Achievement)
            .where(m.Achievement.period == "2026-10")
        )
        assert figures  # the period was recomputed with the accepted value
    assert runner.invoke(app, ["users", "disable", "rina"]).exit_code == 0
    disabled = runner.invoke(
        app, ["review", "reject", str(issue_id + 1), "--by", "rina", "--note", "x"]
    )
    assert disabled.exit_code == 1 and "dinonaktifkan" in disabled.output
