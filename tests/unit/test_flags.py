"""The flag table's titles in the reader's language: Indonesian equal to the labels the
bulletins print, English through the catalogs."""

from __future__ import annotations

import pytest

from iku import flags, i18n


@pytest.mark.parametrize("rule", [f.code for f in flags.RULE_FLAGS])
def test_a_rule_title_is_its_label_in_indonesian_and_english_on_request(rule: str) -> None:
    with i18n.using("id"):
        assert flags.rule_title(rule) == flags.label(rule)
    with i18n.using("en"):
        english = flags.rule_title(rule)
    assert english == flags.RULE_TITLES[rule] and english != flags.label(rule)


@pytest.mark.parametrize(
    ("severity", "english"),
    [
        ("info", "Information"),
        ("warning", "Warning"),
        ("error", "Held"),
        ("blocking", "Rejected"),
    ],
)
def test_a_severity_reads_as_its_label_in_indonesian(severity: str, english: str) -> None:
    with i18n.using("id"):
        assert flags.severity_title(severity) == flags.SEVERITY_LABELS[severity]
    with i18n.using("en"):
        assert flags.severity_title(severity) == english


def test_every_rule_has_a_title_and_unknown_codes_read_as_words() -> None:
    assert set(flags.RULE_TITLES) == {f.code for f in flags.RULE_FLAGS}
    assert set(flags.SEVERITY_TITLES) == set(flags.SEVERITY_LABELS)
    assert flags.rule_title("missing") == flags.label("missing")  # an engine flag: its label
    assert flags.rule_title("no_such_rule") == "no such rule"
    assert flags.severity_title("odd") == "odd"
