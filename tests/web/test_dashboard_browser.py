"""In a real browser (Debian's chromium driven by Playwright): a leader opens the dashboard,
follows an item of "perlu tindakan" to the IKU and from there to its source row; and the
dashboard on a phone-sized window, whose charts fit and whose glossary box opens."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import PASSWORD, PERIOD, LiveServer, WebDatabase, needs_chromium

pytestmark = needs_chromium


def _sign_in(page: Any, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/dasbor")
    assert page.url.startswith(f"{server.url}/masuk?next=")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{server.url}/dasbor")


def test_a_leader_follows_where_to_act_to_the_iku_and_its_source_row(
    server: LiveServer, web_db: WebDatabase, browser: Any
) -> None:
    context = browser.new_context(locale="id-ID")
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, server, "pimpinan")
    assert page.get_by_role("heading", name="Sekilas Provinsi Lampung").is_visible()
    where_to_act = page.locator("#perlu-tindakan")
    assert where_to_act.get_by_role("heading", name="Perlu tindakan").is_visible()

    # An item naming an IKU leads to that IKU of its agency.
    item = where_to_act.get_by_role("link", name="DINKES-01", exact=False).first
    item.click()
    page.wait_for_url(f"{server.url}/dasbor/iku/DINKES-01?period={PERIOD}&opd=DINKES")
    assert page.get_by_role("heading", name="DINKES-01", exact=False).is_visible()
    assert "40,5" in page.locator("#realisasi").inner_text()

    # ... and the IKU's figure to the submission and the row it came from.
    page.locator("#sumber").click()
    page.wait_for_url(f"{server.url}/dasbor/sumber/**")
    assert "laporan_dinkes_2026-10.csv" in page.locator("#kiriman").inner_text()
    row = page.locator("#baris").inner_text()
    assert "6" in row and "40,5" in row
    assert page.get_by_role("link", name="unduh berkas arsip").is_visible()
    assert errors == [], errors  # no script error, no CSP violation (badge colours are SVG)
    context.close()


def test_the_dashboard_on_a_phone(server: LiveServer, web_db: WebDatabase, browser: Any) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale="id-ID"
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, server, "pimpinan")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the dashboard scrolls sideways on a phone ({width}px)"
    chart = page.locator(".chart-box svg").first
    assert chart.get_attribute("role") == "img" and chart.get_attribute("aria-label")
    assert chart.bounding_box()["width"] <= 375
    page.get_by_text("Cara membaca halaman ini").click()
    assert page.get_by_text("S.d. bulan ini", exact=True).first.is_visible()
    page.screenshot(path=str(web_db.root / "dasbor-ponsel.png"), full_page=True)
    assert errors == [], errors
    context.close()
