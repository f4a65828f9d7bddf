"""The province bulletin lists at most ``bulletin.province_max_agencies`` agencies (issue 19):
beyond it the top and bottom of the ranking and one row saying what is not listed and where
the full ranking is, in the HTML and in the PDF read back; the quality annex likewise."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from iku.bulletins.html import make_environment, render_html
from iku.bulletins.readmodel import PeriodData, load_period
from iku.bulletins.typst import PROVINCE_TEMPLATE, bulletin_metadata, render_pdf
from iku.bulletins.views import province_context, revised_table
from iku.rules import Rules, RulesError, parse_rules
from tests.conftest import RULES_FILE
from tests.integration.bulletin_fixtures import GENERATED_AT, PERIOD, add_issues


def _limited(rules: Rules, limit: int) -> Rules:
    return rules.model_copy(
        update={"bulletin": rules.bulletin.model_copy(update={"province_max_agencies": limit})}
    )


def _data(engine: Engine, rules: Rules) -> PeriodData:
    return load_period(engine, PERIOD, rules=rules, generated_at=GENERATED_AT)


def _html(context: dict[str, Any], rules: Rules) -> str:
    return render_html(make_environment(rules), "province.html", {**context, "static_url": ""})


def _pdf_text(context: dict[str, Any], rules: Rules) -> str:
    metadata = bulletin_metadata(PROVINCE_TEMPLATE, context)
    pdf = render_pdf(PROVINCE_TEMPLATE, context, metadata=metadata, rules=rules)
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    return re.sub(r"[\s\u200b]+", "", " ".join(pages))  # cells wrap words over lines


def _squash(text: str) -> str:
    return re.sub(r"[\s\u200b]+", "", text)


def _ranking_section(html: str) -> str:
    start = html.index("<h2>Peringkat perangkat daerah</h2>")
    return html[start : html.index("<h2>Capaian per sektor</h2>", start)]


def _listed_codes(section: str) -> list[str]:
    return re.findall(r'<td class="code">([^<]+)</td>', section)


def test_the_default_keeps_every_agency_of_a_province(seeded: Engine, rules: Rules) -> None:
    assert rules.bulletin.province_max_agencies == 1000  # S and M (41, 640) are unchanged
    data = _data(seeded, rules)
    context = province_context(data)
    table = context["ranking_table"]
    assert table["gap"] is None and table["bottom"] == []
    assert [r["code"] for r in table["top"]] == [r["code"] for r in context["ranking"]]
    assert context["quality"]["others"] is None
    html = _html(context, rules)
    assert _listed_codes(_ranking_section(html)) == [r["code"] for r in context["ranking"]]
    assert "tidak dicantumkan" not in html
    assert "tidak dicantumkan" not in _pdf_text(context, rules)


def test_a_province_over_the_limit_lists_the_top_and_the_bottom(
    seeded: Engine, rules: Rules
) -> None:
    limited = _limited(rules, 4)
    data = _data(seeded, limited)
    context = province_context(data)
    ranking = context["ranking"]  # every agency stays in the context (dashboard, revisions)
    assert len(ranking) == len(data.agencies) > 4
    table = context["ranking_table"]
    assert table["top"] == ranking[:2] and table["bottom"] == ranking[-2:]
    omitted = len(ranking) - 4
    gap = table["gap"]["text"]
    assert gap.startswith(f"… {omitted} perangkat daerah lain (peringkat 3–{len(ranking) - 2} ")
    assert "/dasbor" in gap and "capaian.csv" in gap and f"iku export --period {PERIOD}" in gap

    html = _html(context, limited)
    section = _ranking_section(html)
    assert _listed_codes(section) == [r["code"] for r in (*ranking[:2], *ranking[-2:])]
    assert f"{omitted} perangkat daerah lain" in section and "/dasbor" in section
    for row in ranking[2:-2]:
        assert f'<td class="code">{row["code"]}</td>' not in section

    text = _pdf_text(context, limited)
    assert _squash(gap) in text
    start = text.index("Peringkatperangkatdaerah")
    table_text = text[start : text.index("Capaianpersektor", start)]
    at_gap = table_text.index(_squash(gap))
    for row in ranking[:2]:
        assert 0 <= table_text.find(row["code"]) < at_gap
    for row in ranking[-2:]:
        assert table_text.rfind(row["code"]) > at_gap


def test_the_quality_annex_lists_the_most_issues_first_and_counts_the_others(
    seeded: Engine, rules: Rules
) -> None:
    codes = [a.code for a in _data(seeded, rules).agencies if a.code != "DINKES"]
    add_issues(seeded, {codes[0]: 5, codes[1]: 2, codes[2]: 1, codes[3]: 1})
    full = province_context(_data(seeded, rules))["quality"]
    assert len(full["rows"]) == 5 and full["others"] is None
    limit = 2
    limited = _limited(rules, limit)
    context = province_context(_data(seeded, limited))
    quality = context["quality"]
    assert [r["agency_code"] for r in quality["rows"]] == [codes[0], "DINKES"]
    assert quality["rows"] == full["rows"][:limit]
    rest = full["rows"][limit:]
    others = quality["others"]
    assert others["count"] == len(rest) == 3
    assert others["text"].startswith("3 perangkat daerah lain dengan 4 isu terbuka")
    assert others["total"] == sum(r["total"] for r in rest)
    assert quality["totals"] == full["totals"] and quality["total"] == full["total"]
    html = _html(context, limited)
    annex = html[html.index("Lampiran A. Kualitas data") :]
    assert others["text"] in annex
    for row in rest:
        assert f'<td class="code">{row["agency_code"]}</td>' not in annex
    assert _squash(others["text"]) in _pdf_text(context, limited)


def test_the_limit_is_validated() -> None:
    import yaml

    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    data["bulletin"]["province_max_agencies"] = 1
    with pytest.raises(RulesError, match="province_max_agencies"):
        parse_rules(data)


def test_revised_targets_beyond_the_limit_are_counted(seeded: Engine, rules: Rules) -> None:
    full = province_context(_data(seeded, rules))
    revised = full["revised_targets"]
    assert revised and full["revised_table"] == {"rows": revised, "more": None}
    # The seeded period has one revised IKU: three copies of it stand for a longer list.
    many = [{**revised[0], "code": f"{revised[0]['code']}-{n}"} for n in range(3)]
    table = revised_table(many, 2)
    assert table["rows"] == many[:2] and table["more"]["count"] == 1
    assert table["more"]["text"].startswith("… 1 IKU lain dengan target Perubahan PK")
    context = {**full, "revised_table": table}
    html = _html(context, rules)
    assert table["more"]["text"] in html and many[2]["code"] not in html
    text = _pdf_text(context, rules)
    assert _squash(table["more"]["text"]) in text and _squash(many[1]["code"]) in text


def test_the_approval_box_names_at_most_the_limit_per_state(seeded: Engine, rules: Rules) -> None:
    full = province_context(_data(seeded, rules))["approval"]
    everyone = [code for group in full["groups"] for code in group["codes"].split(", ")]
    assert sorted(everyone) == sorted(a.code for a in _data(seeded, rules).agencies)
    assert full["rows"] == []  # the province box shows the groups, not one row per agency
    limited = _limited(rules, 2)
    context = province_context(_data(seeded, limited))
    approval = context["approval"]
    assert approval["n_total"] == full["n_total"] > 2
    assert [g["count"] for g in approval["groups"]] == [g["count"] for g in full["groups"]]
    assert any(g["count"] > 2 for g in full["groups"])  # one group at least is cut short
    html, text = _html(context, limited), _pdf_text(context, limited)
    for group, whole in zip(approval["groups"], full["groups"], strict=True):
        members = whole["codes"].split(", ")
        if len(members) <= 2:
            assert group["codes"] == whole["codes"]
            continue
        more = len(members) - 2
        assert group["codes"] == (
            f"{members[0]}, {members[1]}, … dan {more} perangkat daerah lain "
            "(daftar lengkap di dasbor, /dasbor)"
        )
        assert group["codes"] in html and _squash(group["codes"]) in text
        for code in members[2:]:
            assert code not in group["codes"]


def test_each_agency_bulletin_lists_its_own_items_and_issues(seeded: Engine, rules: Rules) -> None:
    """The per-agency lists are grouped once per period (a scan per agency was quadratic at
    the national scale): each bulletin still gets exactly its own, in the period's order."""
    from iku.bulletins.views import agency_context, attention_view

    codes = [a.code for a in _data(seeded, rules).agencies if a.code != "DINKES"]
    add_issues(seeded, {codes[0]: 3, codes[1]: 1})
    data = _data(seeded, rules)
    with_issues = with_items = 0
    for agency in data.agencies:
        own_issues = [i for i in data.issues if i.agency_id == agency.id]
        own_items = [a for a in data.attention if a.agency_code == agency.code]
        assert list(data.issues_of(agency.id)) == own_issues
        assert list(data.attention_of(agency.code)) == own_items
        context = agency_context(data, agency)
        assert [(i["file_name"], i["source_row"]) for i in context["issues"]] == [
            (i.file_name, i.source_row) for i in own_issues
        ]
        assert context["attention"] == attention_view(own_items)
        with_issues += bool(own_issues)
        with_items += bool(own_items)
    assert with_issues >= 3 and with_items >= 2  # the lists differ between agencies
