"""A locked period's bulletins are final (rendering refused); reopened with a reason, its next
render re-issues the delivered bulletins whose figures changed as revisions, through the
re-issue mechanism (iku/bulletins/revisions.py); both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from iku.access import Actor, Role
from iku.delivery.bulletins import deliver_period
from iku.operations import periods
from iku.operations.render import plan, render
from iku.periods import PeriodLockedError
from iku.rules import Rules
from iku.runtime import Runtime
from tests.conftest import RULES_FILE
from tests.integration.bulletin_fixtures import GENERATED_AT, PERIOD
from tests.integration.smtp_server import Mailbox, smtp_settings
from tests.integration.test_reissue import SUBJECTS, _correct, _render

BUREAU = Actor("biro", Role.BUREAU)


def test_a_reopened_period_reissues_its_changed_bulletins(
    seeded: Engine, rules: Rules, tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    _server, port = mailbox
    out = tmp_path / "out"
    settings = smtp_settings(port, output_dir=out, rules_file=RULES_FILE)
    rt = Runtime(settings, engine=seeded)
    _render(seeded, out, rules)
    assert deliver_period(PERIOD, seeded, settings=settings, output_dir=out).sent == 5

    periods.lock(rt, PERIOD, actor=BUREAU)
    with pytest.raises(PeriodLockedError):
        plan(rt, PERIOD, subjects=SUBJECTS, generated_at=GENERATED_AT)

    periods.reopen(rt, PERIOD, actor=BUREAU, reason="Koreksi DINKES-02")
    _correct(seeded)  # the correction the reopening was for
    result = render(rt, PERIOD, subjects=SUBJECTS, generated_at=GENERATED_AT)
    assert result.ok, result.failures
    assert sorted((b.subject_key, b.decision.revision) for b in result.reissued if b.decision) == [
        ("DINKES", 2),
        ("province", 2),
    ]
    assert [b.subject_key for b in result.kept] == ["BKD"]
