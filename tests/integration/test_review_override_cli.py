"""``iku review accept --value`` on PostgreSQL and SQLite (issue 13): a steward's corrected value is
checked like a submitted one. Outside the IKU's hard bounds it is refused whatever the steward
says (``--value 4.345,708`` on an index whose maximum is 100); implausible, it needs
``--confirm``. A refusal is one sentence and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from iku import models as m
from iku.cli import app
from iku.db import session_scope
from iku.runtime import process_runtime
from tests.integration.figure_fixtures import issue_id, stage, validate

runner = CliRunner()
PASSWORD = "kata-sandi-pengelola-data"


@pytest.fixture
def queue(cli_database: str) -> dict[str, int]:
    """October files of DLH (air quality index 4.345,708: above its maximum, held) and RSUDAM
    (an NDR cell that is not a number, held), validated; a steward for both agencies. Returns
    the items by IKU."""
    assert runner.invoke(app, ["setup"]).exit_code == 0
    engine = process_runtime().engine
    stage(engine, "DLH", "2026-10", {"DLH-03": "4.345,708"})
    stage(engine, "RSUDAM", "2026-10", {"RSUDAM-04": "dua koma satu"})
    validate(engine, "2026-10", process_runtime().rules)
    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "rina",
            "--role",
            "steward",
            "--agency",
            "DLH",
            "--agency",
            "RSUDAM",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    return {
        "DLH-03": issue_id(engine, "above_maximum", "DLH-03"),
        "RSUDAM-04": issue_id(engine, "not_a_number", "RSUDAM-04"),
    }


def _accept(item: int, value: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        [
            "review",
            "accept",
            str(item),
            "--by",
            "rina",
            "--note",
            "dikoreksi",
            "--value",
            value,
            *extra,
        ],
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _state(item: int) -> tuple[str, list[float | None]]:
    with session_scope(process_runtime().engine) as session:
        issue = session.get(m.ValidationIssue, item)
        assert issue is not None
        values = session.scalars(
            select(m.Realisation.value)
            .join(m.Indicator, m.Indicator.id == m.Realisation.indicator_id)
            .where(m.Indicator.code == issue.indicator_code)
        ).all()
        return issue.status, list(values)


# IKU, --value, extra options, exit code, words of the answer, the item's status after
OVERRIDES = [
    ("DLH-03", "4.345,708", (), 1, "Nilai 4.345,708 di luar batas IKU DLH-03 (0 s.d. 100)", "open"),
    ("DLH-03", "4.345,708", ("--confirm",), 1, "di luar batas IKU DLH-03", "open"),
    # NDR 2,1 against "< 25" (T/R): a capaian of 1.190,48%.
    ("RSUDAM-04", "2,1", (), 1, "tidak wajar (capaian 1.190,48% di atas 150%)", "open"),
    ("RSUDAM-04", "2,1", (), 1, "--confirm", "open"),
    ("RSUDAM-04", "2,1", ("--confirm",), 0, "diterima oleh rina", "accepted"),
    ("DLH-03", "85,2", (), 0, "diterima oleh rina", "accepted"),
]


@pytest.mark.parametrize(("code", "value", "extra", "exit_code", "words", "status"), OVERRIDES)
def test_an_override_is_checked_against_bounds_and_plausibility(
    queue: dict[str, int],
    code: str,
    value: str,
    extra: tuple[str, ...],
    exit_code: int,
    words: str,
    status: str,
) -> None:
    code_, output = _accept(queue[code], value, *extra)
    assert code_ == exit_code, output
    assert words in " ".join(output.split())  # the console may fold a long sentence
    after, values = _state(queue[code])
    assert after == status
    expected = float(value.replace(".", "").replace(",", "."))
    assert values == ([expected] if status == "accepted" else [])
