"""The leaders' dashboard, the bulletin archive and the glossary over real HTTP, on both
databases: every drill-down level for every role (allowed, sign-in redirect, 403), an agency
head outside its own agency (including by guessing codes), unknown sector/agency/IKU as 404
with an Indonesian sentence, and archive downloads scoped by role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from iku import models as m
from iku.db import now_wib, session_scope
from iku.rules import load_rules
from tests.conftest import RULES_FILE
from tests.web.conftest import ACCOUNTS, PERIOD, LiveServer, WebDatabase, sign_in

ROLES = tuple(u for u in ACCOUNTS if u != "terkunci")
EVERYWHERE = {"biro", "pimpinan"}  # bureau and leader: every level, every agency
HEAD = "kadis_dinkes"  # agency head of DINKES


def _realisation(db: WebDatabase, indicator: str) -> int:
    with session_scope(db.engine) as session:
        found = session.scalar(
            select(m.Realisation.id)
            .join(m.Indicator, m.Indicator.id == m.Realisation.indicator_id)
            .where(m.Indicator.code == indicator, m.Realisation.period == PERIOD)
        )
    assert found is not None, indicator
    return found


#: (name, address, roles that get 200). Everyone else signed in gets 403, except that an
#: agency head's /dasbor leads to its own agency (303).
LEVELS: list[tuple[str, Callable[[WebDatabase], str], set[str]]] = [
    ("province", lambda db: f"/dasbor?period={PERIOD}", EVERYWHERE),
    ("province, default period", lambda db: "/dasbor", EVERYWHERE),
    ("sector", lambda db: f"/dasbor/sektor/kesehatan?period={PERIOD}", EVERYWHERE),
    ("agency DINKES", lambda db: f"/dasbor/opd/DINKES?period={PERIOD}", EVERYWHERE | {HEAD}),
    ("agency DISDIKBUD", lambda db: f"/dasbor/opd/DISDIKBUD?period={PERIOD}", EVERYWHERE),
    ("IKU of DINKES", lambda db: f"/dasbor/iku/DINKES-01?period={PERIOD}", EVERYWHERE | {HEAD}),
    (
        "IKU of DINKES, with its agency",
        lambda db: f"/dasbor/iku/DINKES-01?period={PERIOD}&opd=DINKES",
        EVERYWHERE | {HEAD},
    ),
    ("IKU of DISDIKBUD", lambda db: f"/dasbor/iku/DISDIKBUD-01?period={PERIOD}", EVERYWHERE),
    (
        "source row of DINKES",
        lambda db: f"/dasbor/sumber/{_realisation(db, 'DINKES-01')}",
        EVERYWHERE | {HEAD},
    ),
]


@pytest.fixture(scope="module")
def browsers(server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    clients = {role: sign_in(server, role) for role in ROLES}
    yield clients
    for client in clients.values():
        client.close()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(("name", "path", "allowed"), [pytest.param(*c, id=c[0]) for c in LEVELS])
def test_every_level_for_every_role(
    server: LiveServer,
    web_db: WebDatabase,
    browsers: dict[str, httpx.Client],
    name: str,
    path: Callable[[WebDatabase], str],
    allowed: set[str],
) -> None:
    target = path(web_db)
    for role in ROLES:
        answer = browsers[role].get(target)
        if role == HEAD and (target == "/dasbor" or target.startswith("/dasbor?")):
            # An agency head's dashboard is its own agency.
            assert answer.status_code == 303, (role, answer.text[:300])
            assert answer.headers["location"].startswith("/dasbor/opd/DINKES")
            continue
        expected = 200 if role in allowed else 403
        assert answer.status_code == expected, (role, target, answer.text[:300])
        if expected == 403:
            assert "tidak berwenang" in answer.text  # the sentence, in Indonesian
        else:
            assert "Cara membaca halaman ini" in answer.text or "/dasbor/sumber/" in target
    with server.client() as anonymous:
        answer = anonymous.get(target)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/masuk?next=")


@pytest.fixture(scope="module")
def disdik_source(web_db: WebDatabase) -> int:
    """An accepted DISDIKBUD row (September, so October's figures stay as computed)."""
    from tests.web.conftest import _submission

    with session_scope(web_db.engine) as session:
        sub = _submission(session, "DISDIKBUD", "2026-09", "validated", web_db.root / "archive")
        indicator = session.scalar(select(m.Indicator.id).where(m.Indicator.code == "DISDIKBUD-01"))
        row = m.Realisation(
            submission_id=sub.id,
            indicator_id=indicator,
            period="2026-09",
            value=90.0,
            state="angka",
            source_row=2,
        )
        session.add(row)
        session.flush()
        return row.id


def test_an_agency_head_outside_its_agency_is_refused_even_by_guessing(
    web_db: WebDatabase, browsers: dict[str, httpx.Client], disdik_source: int
) -> None:
    head = browsers[HEAD]
    with session_scope(web_db.engine) as session:
        agencies = list(session.scalars(select(m.Agency.code).where(m.Agency.code != "DINKES")))
        indicators = list(
            session.scalars(
                select(m.Indicator.code)
                .join(m.Agency, m.Agency.id == m.Indicator.agency_id)
                .where(m.Agency.code != "DINKES", m.Indicator.is_active.is_(True))
            )
        )
        sectors = list(session.scalars(select(m.Agency.sector).distinct()))
        others = list(
            session.scalars(
                select(m.Realisation.id)
                .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
                .join(m.Agency, m.Agency.id == m.Submission.agency_id)
                .where(m.Agency.code != "DINKES")
            )
        )
    assert len(agencies) >= 10 and len(indicators) >= 30 and disdik_source in others
    paths = [f"/dasbor/opd/{code}?period={PERIOD}" for code in agencies]
    paths += [f"/dasbor/iku/{code}?period={PERIOD}" for code in indicators]
    paths += [f"/dasbor/sektor/{sector}?period={PERIOD}" for sector in sectors]
    paths += [f"/dasbor/sumber/{ident}" for ident in others]
    for path in paths:
        answer = head.get(path)
        assert answer.status_code == 403, (path, answer.text[:200])
        assert "DISDIKBUD" not in _text(answer.text) or "DISDIKBUD" in path
    # Its own agency, its IKU and their source rows answer.
    assert head.get(f"/dasbor/opd/DINKES?period={PERIOD}").status_code == 200
    own = head.get(f"/dasbor/iku/DINKES-01?period={PERIOD}")
    assert own.status_code == 200 and "DINKES-01" in own.text


def test_unknown_addresses_are_404_in_indonesian(browsers: dict[str, httpx.Client]) -> None:
    for role in ("pimpinan", HEAD):
        client = browsers[role]
        for path, words in (
            (f"/dasbor/sektor/tidak-ada?period={PERIOD}", "Tidak ada sektor 'tidak-ada'"),
            (f"/dasbor/opd/BUKAN_OPD?period={PERIOD}", "Tidak ada perangkat daerah dengan kode"),
            (f"/dasbor/iku/BUKAN-99?period={PERIOD}", "Tidak ada IKU dengan kode 'BUKAN-99'"),
            (f"/dasbor/iku/DINKES-01?period={PERIOD}&opd=DISDIKBUD", "Tidak ada IKU dengan kode"),
            ("/dasbor/sumber/999999", "Baris sumber ini tidak ada"),
            ("/dasbor/opd/DINKES?period=2025-01", "Belum ada angka yang dihitung untuk periode"),
        ):
            answer = client.get(path)
            assert answer.status_code == 404, (role, path)
            assert words in answer.text.replace("&#39;", "'"), (role, path, answer.text[:400])
    bad = browsers["pimpinan"].get("/dasbor?period=2026-13")
    assert bad.status_code == 422 and "tidak sah" in bad.text


def test_the_province_page_puts_where_to_act_first(
    browsers: dict[str, httpx.Client],
) -> None:
    answer = browsers["pimpinan"].get("/dasbor")  # the latest evaluated period
    assert answer.status_code == 200
    html = answer.text
    text = _text(html)
    assert "Sekilas Provinsi Lampung" in text and PERIOD in text
    # "Perlu tindakan" comes before every figure.
    assert text.index("Perlu tindakan") < text.index("Ringkasan") < text.index("Sebaran predikat")
    assert "Belum melapor" in text and "Menunggu verifikasi" in text
    assert re.search(r"dari \d+ OPD dan \d+ IKU", text)
    assert "Tingkat pelaporan" in text and "Ketepatan waktu" in text
    # Items lead to the IKU of their agency, or to the agency.
    assert f'href="/dasbor/iku/DINKES-01?period={PERIOD}&amp;opd=DINKES"' in html
    assert f'href="/dasbor/opd/BAPENDA?period={PERIOD}"' in html
    assert f'href="/dasbor/sektor/kesehatan?period={PERIOD}"' in html
    # Every chart has a text alternative and a table beside it.
    assert html.count('role="img"') == html.count("<svg") - html.count('aria-hidden="true"')
    assert html.count('class="chart-box"') == 2 and html.count("<table") >= 4
    assert "Bulan yang sama tahun lalu (2025-10):" in text
    # The glossary box, with the bands of the rules file.
    assert "<details" in html and "Cara membaca halaman ini" in text
    # The period chooser offers the evaluated periods.
    assert f'<option value="{PERIOD}" selected>' in html


def test_the_sector_page(browsers: dict[str, httpx.Client]) -> None:
    answer = browsers["biro"].get(f"/dasbor/sektor/kesehatan?period={PERIOD}")
    text = _text(answer.text)
    assert "Sektor kesehatan" in text and "Capaian sektor" in text
    assert "Versi target yang berlaku" in text and "Tren sepanjang tahun" in text
    assert f'href="/dasbor/opd/DINKES?period={PERIOD}"' in answer.text
    assert "DISDIKBUD" not in text  # another sector's agency


def test_the_agency_page_and_the_source_of_a_figure(
    web_db: WebDatabase, browsers: dict[str, httpx.Client]
) -> None:
    source = _realisation(web_db, "DINKES-01")
    for role in ("pimpinan", HEAD):
        page = browsers[role].get(f"/dasbor/opd/DINKES?period={PERIOD}")
        assert page.status_code == 200
        text = _text(page.text)
        assert "Dinas Kesehatan" in text and "Tren sepanjang tahun" in text
        assert f'href="/dasbor/sumber/{source}?period={PERIOD}"' in page.text
        assert "DINKES-05" in text  # every IKU of the agency, with or without a value
        iku = browsers[role].get(f"/dasbor/iku/DINKES-01?period={PERIOD}&opd=DINKES")
        assert "Versi target" in _text(iku.text) and "(dipakai)" in _text(iku.text)
        found = browsers[role].get(f"/dasbor/sumber/{source}")
        assert found.status_code == 200
        detail = _text(found.text)
        assert f"laporan_dinkes_{PERIOD}.csv" in detail
        assert "kiriman ke-1 dari 1" in detail
        assert "Baris 6" in detail and "40,5" in detail
        assert f'href="/berkas/{web_db.ids["submission_dinkes"]}"' in found.text
        assert browsers[role].get(f"/berkas/{web_db.ids['submission_dinkes']}").status_code == 200


def test_an_agency_heads_nav_shows_only_its_agency(browsers: dict[str, httpx.Client]) -> None:
    page = browsers[HEAD].get(f"/dasbor/opd/DINKES?period={PERIOD}")
    nav = page.text.split('aria-label="Menu utama"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/dasbor/opd/DINKES"' in nav
    assert 'href="/dasbor"' not in nav
    assert 'class="breadcrumb"' not in page.text  # no way up to the province
    assert "Capaian provinsi" not in page.text
    leader = browsers["pimpinan"].get(f"/dasbor/opd/DINKES?period={PERIOD}")
    assert 'href="/dasbor"' in leader.text
    # An agency's data officer has no dashboard link.
    officer = browsers["opd_dinkes"].get("/antrean")
    assert "/dasbor" not in officer.text


# --- The bulletin archive --------------------------------------------------------------------


@pytest.fixture(scope="module")
def revised(web_db: WebDatabase) -> dict[str, int]:
    """DINKES's bulletin re-issued: revision 1 superseded (its file in arsip/), revision 2
    current."""
    with session_scope(web_db.engine) as session:
        first = session.get(m.Bulletin, web_db.ids["bulletin_DINKES"])
        assert first is not None
        archived = web_db.root / "out" / PERIOD / "arsip" / "revisi-1" / "buletin_DINKES.pdf"
        archived.parent.mkdir(parents=True, exist_ok=True)
        archived.write_bytes(b"%PDF-1.4\n% revisi 1\n%%EOF\n")
        first.pdf_path = str(archived)
        first.superseded_at = now_wib() - timedelta(hours=1)
        first.sent_at = now_wib() - timedelta(days=1)
        second = web_db.root / "out" / PERIOD / "buletin_DINKES_r2.pdf"
        second.write_bytes(b"%PDF-1.4\n% revisi 2\n%%EOF\n")
        newer = m.Bulletin(
            cycle_id=first.cycle_id,
            audience="agency",
            subject_key="DINKES",
            agency_id=first.agency_id,
            pdf_path=str(second),
            revision=2,
        )
        session.add(newer)
        session.flush()
        return {"first": first.id, "second": newer.id}


ARCHIVE_READERS = {"biro", "rina", "steward_dinkes", "opd_dinkes", "kadis_dinkes", "opd_disdik"}
ARCHIVE_READERS |= {"pimpinan"}


def test_the_archive_lists_revisions_within_the_scope(
    web_db: WebDatabase, browsers: dict[str, httpx.Client], revised: dict[str, int]
) -> None:
    for role in ROLES:
        answer = browsers[role].get("/arsip")
        if role not in ARCHIVE_READERS:
            assert answer.status_code == 403, role
            continue
        assert answer.status_code == 200, role
        text = _text(answer.text)
        links = set(re.findall(r'href="/buletin/(\d+)"', answer.text))
        province = str(web_db.ids["bulletin_province"])
        disdik = str(web_db.ids["bulletin_DISDIKBUD"])
        dinkes = {str(revised["first"]), str(revised["second"])}
        if role in {"biro", "rina", "pimpinan"}:
            assert links == {province, disdik} | dinkes, role
            assert "Buletin provinsi" in text
        elif role == "opd_disdik":
            assert links == {disdik}, role
        else:  # DINKES only: its data officer, its head, a steward of DINKES
            assert links == dinkes, role
            assert "Buletin provinsi" not in text and "DISDIKBUD" not in text
        if links & dinkes:
            assert "Revisi 2 – berlaku" in text and "Revisi 1 – digantikan" in text


def test_archive_downloads_are_scoped(
    server: LiveServer,
    web_db: WebDatabase,
    browsers: dict[str, httpx.Client],
    revised: dict[str, int],
) -> None:
    sees_dinkes = {"biro", "rina", "pimpinan", "steward_dinkes", "opd_dinkes", "kadis_dinkes"}
    for role in ROLES:
        for bulletin_id in (revised["first"], revised["second"]):
            answer = browsers[role].get(f"/buletin/{bulletin_id}")
            expected = 200 if role in sees_dinkes else 403
            assert answer.status_code == expected, (role, bulletin_id)
            if expected == 200:
                assert answer.content.startswith(b"%PDF")
        province = browsers[role].get(f"/buletin/{web_db.ids['bulletin_province']}")
        assert province.status_code == (200 if role in {"biro", "rina", "pimpinan"} else 403)
    with server.client() as anonymous:
        assert anonymous.get(f"/buletin/{revised['first']}").status_code == 303
        assert anonymous.get("/arsip").status_code == 303


def test_the_archive_filters_and_search(
    web_db: WebDatabase, browsers: dict[str, httpx.Client], revised: dict[str, int]
) -> None:
    biro = browsers["biro"]

    def ids(path: str) -> set[str]:
        answer = biro.get(path)
        assert answer.status_code == 200, path
        return set(re.findall(r'href="/buletin/(\d+)"', answer.text))

    disdik = {str(web_db.ids["bulletin_DISDIKBUD"])}
    assert ids("/arsip?agency=DISDIKBUD") == disdik
    assert ids("/arsip?q=pendidikan") == disdik  # the agency's name
    assert ids("/arsip?q=disdik") == disdik
    assert ids("/arsip?agency=provinsi") == {str(web_db.ids["bulletin_province"])}
    assert len(ids(f"/arsip?period={PERIOD}")) == 4
    assert ids("/arsip?period=2025-01") == set()
    assert "Tidak ada buletin yang cocok" in biro.get("/arsip?q=tidak-ada-apa-apa").text
    # An agency user asking for another agency's bulletins is refused, not shown an empty list.
    officer = browsers["opd_dinkes"]
    assert officer.get("/arsip?agency=DISDIKBUD").status_code == 403
    assert officer.get("/arsip?agency=provinsi").status_code == 403
    assert officer.get("/arsip?q=disdik").status_code == 200
    assert "/buletin/" not in officer.get("/arsip?q=disdik").text
    assert browsers["biro"].get("/arsip?period=oktober").status_code == 422


# --- The glossary -------------------------------------------------------------------------------


def test_the_glossary_reads_the_bands_from_the_rules_file(
    browsers: dict[str, httpx.Client],
) -> None:
    from iku.glossary import band_rows

    rules = load_rules(RULES_FILE)
    for role in ROLES:
        answer = browsers[role].get("/glosarium")
        assert answer.status_code == 200, role
    text = _text(browsers["opd_dinkes"].get("/glosarium").text).replace("&lt;", "<")
    for term in ("Capaian", "S.d. bulan ini", "Proyeksi", "Tercapai", "Predikat"):
        assert term in text
    for band in band_rows(rules):
        assert f"{band.label} ({band.code}) {band.range_text}" in text.replace("&#34;", '"')


def test_the_dashboard_and_glossary_in_english(server: LiveServer) -> None:
    client = sign_in(server, "pimpinan")  # its own client: ?lang= sets a cookie
    try:
        answer = client.get(f"/dasbor?period={PERIOD}&lang=en")
        assert answer.status_code == 200
        assert "Lampung Province at a glance" in answer.text and "Needs action" in answer.text
        assert "Year to date" in _text(client.get("/glosarium?lang=en").text)
    finally:
        client.close()
