"""The deployment schedules in prefect.yaml that follow the rules file.

``monthly-evaluation`` runs at 06:00 WIB on ``submission.evaluation_day``; ``submission-reminders``
runs at 08:00 WIB on each day from ``deadline_day - reminder_days_before_deadline`` to
``deadline_day``. Changing those policies in the rules file and running ``iku schedule sync``
keeps prefect.yaml in step; ``iku schedule check`` (and a test) catches a drift.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from iku.rules import Rules

#: The hour (WIB) the monthly evaluation runs on ``submission.evaluation_day``.
EVALUATION_HOUR = 6

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"


def expected_crons(rules: Rules) -> dict[str, str]:
    s = rules.submission
    first = s.deadline_day - s.reminder_days_before_deadline
    days = str(s.deadline_day) if first == s.deadline_day else f"{first}-{s.deadline_day}"
    return {
        "monthly-evaluation": f"0 {EVALUATION_HOUR} {s.evaluation_day} * *",
        "submission-reminders": f"0 8 {days} * *",
    }


def current_crons(path: Path = PREFECT_YAML) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    crons = {}
    for deployment in data.get("deployments", []):
        schedules = deployment.get("schedules") or []
        if schedules:
            crons[deployment["name"]] = schedules[0]["cron"]
    return crons


def drift(rules: Rules, path: Path = PREFECT_YAML) -> list[str]:
    """Deployments whose cron disagrees with the rules file, as readable lines."""
    current = current_crons(path)
    return [
        f"{name}: prefect.yaml berisi '{current.get(name)}', berkas aturan memberi '{cron}'"
        for name, cron in expected_crons(rules).items()
        if current.get(name) != cron
    ]


def sync(rules: Rules, path: Path = PREFECT_YAML) -> list[str]:
    """Rewrite the rules-driven crons in prefect.yaml in place (comments kept); return changes."""
    text = path.read_text(encoding="utf-8")
    changes = []
    for name, cron in expected_crons(rules).items():
        pattern = re.compile(
            rf"(- name: {re.escape(name)}\n(?:(?!  - name:).*\n)*?\s+- cron: )\"[^\"]*\"", re.M
        )
        text, count = pattern.subn(rf'\g<1>"{cron}"', text, count=1)
        if count:
            changes.append(f"{name}: {cron}")
    path.write_text(text, encoding="utf-8")
    return changes
