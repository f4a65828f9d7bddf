"""prefect.yaml: deployments are well formed and their schedules follow the rules file."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from iku.rules import load_rules, parse_rules
from iku.schedule import PREFECT_YAML, current_crons, drift, expected_crons, sync
from tests.conftest import RULES_FILE


def test_prefect_yaml_follows_the_rules_file() -> None:
    assert drift(load_rules(RULES_FILE)) == []


def test_every_deployment_has_an_entrypoint_that_exists_and_runs_in_wib() -> None:
    data = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    names = {d["name"] for d in data["deployments"]}
    assert names == {"monthly-evaluation", "ingest-inbox", "submission-reminders"}
    for deployment in data["deployments"]:
        module, _, function = deployment["entrypoint"].partition(":")
        source = (PREFECT_YAML.parent / module).read_text(encoding="utf-8")
        assert f"def {function}(" in source or f"{function} = " in source
        assert all(s["timezone"] == "Asia/Jakarta" for s in deployment["schedules"])
        assert deployment["work_pool"]["name"] == "iku-process"


def test_sync_rewrites_the_crons_from_changed_rules(tmp_path: Path) -> None:
    copy = tmp_path / "prefect.yaml"
    shutil.copy(PREFECT_YAML, copy)
    data = load_rules(RULES_FILE).model_dump()
    data["submission"]["evaluation_day"] = 12
    data["submission"]["deadline_day"] = 7
    changed = parse_rules(data)
    assert len(drift(changed, copy)) == 2
    sync(changed, copy)
    assert drift(changed, copy) == []
    assert current_crons(copy)["monthly-evaluation"] == "0 6 12 * *"
    assert (
        current_crons(copy)["submission-reminders"]
        == expected_crons(changed)["submission-reminders"]
    )
    assert current_crons(copy)["ingest-inbox"] == "*/15 7-16 * * 1-5"  # not rules-driven
    assert "# Prefect deployments" in copy.read_text(encoding="utf-8")  # comments kept
