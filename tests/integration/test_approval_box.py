"""Every bulletin states the approval status of the data it rests on (HTML and PDF, read back),
and the rules file's ``approval.unapproved_in_province`` decides whether an unapproved
agency enters the sector and province figures (``marked``) or not (``withheld``); both
databases (issue 17 item 5)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select

from iku import models as m
from iku.bulletins.html import make_environment, render_html
from iku.bulletins.readmodel import load_period
from iku.bulletins.typst import AGENCY_TEMPLATE, PROVINCE_TEMPLATE, bulletin_metadata, render_pdf
from iku.bulletins.views import agency_context, province_context
from iku.db import now_wib, session_scope
from iku.engine.store import compute_period
from iku.rules import ApprovalRules, Rules
from tests.integration.bulletin_fixtures import GENERATED_AT, PERIOD, seed_period
from tests.integration.figure_fixtures import stage, validate


def _approve(engine: Engine, code: str, *, verified: bool = False) -> None:
    with session_scope(engine) as session:
        agency_id = session.scalars(select(m.Agency.id).where(m.Agency.code == code)).one()
        session.add(
            m.PeriodAgencyState(
                period=PERIOD,
                agency_id=agency_id,
                approved_at=now_wib(),
                approved_by="kadis",
                verified_at=now_wib() if verified else None,
                verified_by="biro" if verified else None,
            )
        )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _pdf_text(pdf: bytes) -> str:
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    return re.sub(r"[\s\u200b]+", " ", " ".join(pages))


def test_the_approval_box_in_html_and_pdf(loaded: Engine, rules: Rules) -> None:
    seed_period(loaded, rules)
    _approve(loaded, "DINKES", verified=True)
    _approve(loaded, "DISDIKBUD")
    data = load_period(loaded, PERIOD, rules=rules, generated_at=GENERATED_AT)
    agency = agency_context(data, next(a for a in data.agencies if a.code == "DINKES"))
    province = province_context(data)
    assert [r["label"] for r in agency["approval"]["rows"]] == ["diverifikasi Biro"]

    env = make_environment(rules)
    html = _text(render_html(env, "agency.html", {**agency, "static_url": ""}))
    assert "Status persetujuan data" in html
    assert "Diverifikasi Biro: DINKES" in html
    assert "tetap dihitung dalam angka sektor dan provinsi" in html  # the default: marked
    html = _text(render_html(env, "province.html", {**province, "static_url": ""}))
    assert "Diverifikasi Biro: DINKES" in html
    assert "Disetujui kepala OPD: DISDIKBUD" in html
    assert re.search(r"Belum mengirim: BAPENDA, ", html)

    pdf = render_pdf(
        AGENCY_TEMPLATE,
        agency,
        metadata=bulletin_metadata(AGENCY_TEMPLATE, agency),
        rules=rules,
    )
    text = _pdf_text(pdf)
    assert "Status persetujuan data" in text and "Diverifikasi Biro: DINKES" in text
    pdf = render_pdf(
        PROVINCE_TEMPLATE,
        province,
        metadata=bulletin_metadata(PROVINCE_TEMPLATE, province),
        rules=rules,
    )
    text = _pdf_text(pdf)
    assert "Status persetujuan data" in text
    assert "Disetujui kepala OPD: DISDIKBUD" in text and "Belum mengirim: BAPENDA" in text
    assert "2 dari" in text  # two agencies approved


def _province(engine: Engine, rules: Rules) -> tuple[float | None, int | None, float | None]:
    with session_scope(engine) as session:
        compute_period(session, PERIOD, rules)
    with session_scope(engine) as session:
        rows = {
            a.subject_key: a
            for a in session.scalars(
                select(m.Achievement).where(m.Achievement.level.in_(("province", "sector")))
            )
        }
    province = rows["province"]
    return (
        province.capaian_scored,
        province.n_agencies_included,
        rows["sector:kesehatan"].capaian_scored,
    )


@pytest.mark.parametrize(
    ("policy", "approved", "agencies_counted"),
    [
        ("marked", set(), 2),
        ("marked", {"DINKES"}, 2),
        ("withheld", set(), 0),
        ("withheld", {"DINKES"}, 1),
        ("withheld", {"DINKES", "RSUDAM"}, 2),
    ],
)
def test_unapproved_agencies_in_the_province(
    loaded: Engine, rules: Rules, policy: str, approved: set[str], agencies_counted: int
) -> None:
    stage(loaded, "DINKES", PERIOD, {"DINKES-02": "80"})
    stage(loaded, "RSUDAM", PERIOD, {"RSUDAM-01": "90"})
    validate(loaded, PERIOD, rules)
    for code in approved:
        _approve(loaded, code)
    chosen = rules.model_copy(update={"approval": ApprovalRules(unapproved_in_province=policy)})
    capaian, counted, _sector = _province(loaded, chosen)
    assert counted == agencies_counted
    if agencies_counted == 0:
        assert capaian is None
    with session_scope(loaded) as session:
        dinkes = session.scalars(
            select(m.Achievement).where(m.Achievement.subject_key == "agency:DINKES")
        ).one()
    assert dinkes.capaian_scored is not None  # an agency's own figure is always computed
    if policy == "withheld" and approved == {"DINKES"}:
        assert capaian == pytest.approx(dinkes.capaian_scored)
