"""E-mail delivery is at most once per recipient and bulletin, even when the relay or the
sending process dies mid-send (a real SMTP server on 127.0.0.1 that misbehaves on request)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select

from iku import models as m
from iku.bulletins.jobs import render_period
from iku.db import session_scope
from iku.delivery.bulletins import deliver_period
from iku.rules import load_rules
from iku.settings import Settings
from tests.conftest import PROJECT_ROOT, RULES_FILE
from tests.integration.bulletin_fixtures import GENERATED_AT, PERIOD, seed_period
from tests.integration.smtp_server import Mailbox, smtp_settings

SUBJECTS = ("province", "DINKES", "BKD")
GOVERNOR = "gubernur@lampungprov.example"
DINKES_TO = "kepala.dinkes@lampungprov.example"
EVERYONE = {
    GOVERNOR,
    "sekda@lampungprov.example",
    "kepala.bappeda@lampungprov.example",
    DINKES_TO,
    "kepala.bkd@lampungprov.example",
}


@pytest.fixture
def rendered(loaded: Engine, tmp_path: Path) -> Engine:
    seed_period(loaded, load_rules(RULES_FILE))
    result = render_period(
        PERIOD,
        loaded,
        output_dir=tmp_path / "out",
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=SUBJECTS,
    )
    assert result.ok, result.failures
    return loaded


def _rows(engine: Engine, email: str | None = None) -> list[m.Delivery]:
    with session_scope(engine) as session:
        query = select(m.Delivery).order_by(m.Delivery.id)
        if email is not None:
            query = query.where(m.Delivery.email == email)
        return list(session.scalars(query))


def _once_each(server: Mailbox) -> None:
    assert sorted(server.recipients()) == sorted(EVERYONE)


def test_a_relay_that_drops_the_connection_after_the_data_gets_the_message_once(
    rendered: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    server.drop_after_data.add(DINKES_TO)
    settings = smtp_settings(port, smtp_retries=3)
    report = deliver_period(PERIOD, rendered, settings=settings, sleep=lambda _: None)
    dinkes = next(o for o in report.outcomes if o.email == DINKES_TO)
    assert (dinkes.status, dinkes.attempts) == ("unknown", 1)  # not retried blindly
    assert dinkes.error is not None and "no answer from the relay" in dinkes.error
    assert (report.sent, report.unknown, report.failed) == (4, 1, 0)
    _once_each(server)
    [row] = _rows(rendered, DINKES_TO)
    [copy] = server.copies(DINKES_TO)
    assert (row.status, row.message_id) == ("unknown", copy["Message-ID"])

    # A rerun (the cycle's retry, or the next run) sends nothing: the message may be there.
    again = deliver_period(PERIOD, rendered, settings=settings, sleep=lambda _: None)
    assert (again.sent, again.skipped, again.unknown) == (0, 5, 0)
    _once_each(server)

    # The bureau decides to send it again: only that one, with the same Message-ID.
    server.drop_after_data.clear()
    resent = deliver_period(PERIOD, rendered, settings=settings, resend_unknown=True)
    assert [(o.email, o.status) for o in resent.outcomes if o.status != "skipped"] == [
        (DINKES_TO, "sent")
    ]
    copies = server.copies(DINKES_TO)
    assert len(copies) == 2 and {c["Message-ID"] for c in copies} == {row.message_id}
    assert len(server.messages) == 6
    assert [(r.status, r.is_resend) for r in _rows(rendered, DINKES_TO)] == [
        ("unknown", False),
        ("sent", True),
    ]
    assert deliver_period(PERIOD, rendered, settings=settings, resend_unknown=True).sent == 0


def test_a_relay_that_answers_an_error_after_the_data_is_retried(
    rendered: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    """An answer, even a refusal, means the relay did not take the message: retrying is safe
    (the deferred recipient gets exactly one copy in the end)."""
    server, port = mailbox
    server.defer[DINKES_TO] = 1
    report = deliver_period(
        PERIOD, rendered, settings=smtp_settings(port, smtp_retries=2), sleep=lambda _: None
    )
    dinkes = next(o for o in report.outcomes if o.email == DINKES_TO)
    assert (dinkes.status, dinkes.attempts) == ("sent", 2)
    _once_each(server)


_SENDER = """
import sys
from pathlib import Path

from iku.db import make_engine
from iku.delivery.bulletins import deliver_period
from tests.integration.smtp_server import smtp_settings

period, url, schema, port, out = sys.argv[1:]
options = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
engine = make_engine(url, **options)
deliver_period(period, engine, settings=smtp_settings(int(port)), output_dir=Path(out))
"""


def test_kill_9_while_a_slow_relay_receives_sends_nothing_twice(
    rendered: Engine, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    server, port = mailbox
    server.hold.add(GOVERNOR)  # the relay keeps the message, then is slow to answer
    schema = ""
    if rendered.dialect.name == "postgresql":
        with rendered.connect() as connection:
            schema = str(connection.scalar(sa.text("SELECT current_schema()")))
        url = str(rendered.url.render_as_string(hide_password=False))
    else:
        url = str(rendered.url)
    sender = subprocess.Popen(
        [sys.executable, "-c", _SENDER, PERIOD, url, schema, str(port), str(tmp_path / "out")],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    try:
        assert server.holding.wait(300), "the sender never reached the slow relay"
        [pending] = [r for r in _rows(rendered) if r.email == GOVERNOR]
        assert pending.status == "pending" and pending.message_id
        os.kill(sender.pid, signal.SIGKILL)
        assert sender.wait(60) == -signal.SIGKILL
    finally:
        server.release.set()
        if sender.poll() is None:
            sender.kill()

    # The next run finds the intent without an outcome: unknown, reported, not sent again.
    report = deliver_period(PERIOD, rendered, settings=smtp_settings(port))
    governor = next(o for o in report.outcomes if o.email == GOVERNOR)
    assert (governor.status, governor.message_id) == ("unknown", pending.message_id)
    assert report.unknown == 1 and report.failed == 0
    _once_each(server)  # the governor's copy is the one the relay kept: no second one
    assert [r.status for r in _rows(rendered, GOVERNOR)] == ["unknown"]
    again = deliver_period(PERIOD, rendered, settings=smtp_settings(port))
    assert (again.sent, again.unknown, again.skipped) == (0, 0, 5)
    _once_each(server)


def test_an_interrupted_eml_delivery_is_written_again_once(
    rendered: Engine, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    first = deliver_period(PERIOD, rendered, settings=settings)
    assert first.sent == 5
    outbox = tmp_path / "out" / PERIOD / "outbox"
    files = sorted(outbox.glob("*.eml"))
    # As if the process had died after recording the intent, before writing the file.
    with session_scope(rendered) as session:
        row = session.scalars(select(m.Delivery).where(m.Delivery.email == DINKES_TO)).one()
        row.status = "pending"
        Path(str(row.eml_path)).unlink()
    again = deliver_period(PERIOD, rendered, settings=settings)
    assert (again.sent, again.skipped) == (1, 4)
    assert sorted(outbox.glob("*.eml")) == files  # the same files, none twice
    assert not list(outbox.glob("*.tmp"))
    assert [r.status for r in _rows(rendered, DINKES_TO)] == ["failed", "sent"]
