"""In a real browser (Debian's chromium driven by Playwright): sign in, decide an item, see the
queue change, sign out; and the console on a phone-sized window, by keyboard."""

from __future__ import annotations

from typing import Any

from iku import models as m
from iku.db import session_scope
from tests.web.conftest import PASSWORD, LiveServer, WebDatabase, needs_chromium

pytestmark = needs_chromium


def _open_items(web_db: WebDatabase, agency: str) -> list[int]:
    with session_scope(web_db.engine) as session:
        return [
            i
            for i in web_db.ids["issues"][agency]
            if session.get(m.ValidationIssue, i).status == "open"  # type: ignore[union-attr]
        ]


def test_sign_in_decide_see_the_queue_change_sign_out(
    server: LiveServer, web_db: WebDatabase, browser: Any
) -> None:
    issue_id = _open_items(web_db, "DINKES")[0]
    context = browser.new_context(locale="id-ID")
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{server.url}/antrean")
    assert page.url.startswith(f"{server.url}/masuk?next=")
    page.get_by_label("Nama pengguna").fill("rina")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{server.url}/antrean")
    assert page.get_by_role("heading", name="Antrean tinjauan").is_visible()
    row_link = page.get_by_role("link", name=f"Buka isu {issue_id}", exact=True)
    assert row_link.is_visible()
    count_before = page.locator("#jumlah-terbuka").inner_text()

    # Filtering updates the list in place (htmx), and the address follows.
    page.get_by_label("Perangkat daerah").select_option("DINKES")
    page.wait_for_url("**/antrean?**agency=DINKES**")
    assert row_link.is_visible()

    row_link.click()
    page.wait_for_url(f"{server.url}/antrean/{issue_id}")
    page.get_by_label("Tolak: nilai tidak dipakai").check()
    page.get_by_label("Catatan (alasan; disimpan bersama keputusan)").fill(
        "Kode tidak dikenal; OPD diminta mengirim ulang."
    )
    page.get_by_role("button", name="Simpan keputusan").click()
    page.get_by_text("Keputusan tercatat").wait_for()
    assert page.locator("#status-isu").inner_text() == "ditolak"
    assert "oleh rina" in page.locator("#keputusan").inner_text()

    page.get_by_role("link", name="Antrean tinjauan").first.click()
    page.wait_for_url(f"{server.url}/antrean")
    assert page.get_by_role("link", name=f"Buka isu {issue_id}", exact=True).count() == 0
    assert page.locator("#jumlah-terbuka").inner_text() != count_before

    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(f"{server.url}/masuk?out=1")
    assert page.get_by_text("Anda telah keluar.").is_visible()
    page.goto(f"{server.url}/antrean")
    assert page.url.startswith(f"{server.url}/masuk")
    assert errors == [], errors  # no script error, no CSP violation
    context.close()


def test_the_console_on_a_phone_by_keyboard(
    server: LiveServer, web_db: WebDatabase, browser: Any
) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale="id-ID"
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{server.url}/masuk")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Langsung ke isi"
    page.get_by_label("Nama pengguna").fill("opd_dinkes")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/portal")  # an agency's data officer starts at the portal
    page.goto(f"{server.url}/antrean")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
    text = page.locator("#daftar").inner_text()
    assert "DINKES" in text and "DISDIKBUD" not in text
    page.screenshot(path=str(web_db.root / "antrean-ponsel.png"), full_page=True)
    context.close()


def test_the_portal_form_on_a_phone_held_then_corrected(
    server: LiveServer, web_db: WebDatabase, browser: Any
) -> None:
    """An agency's data officer fills the period's form on a phone, sees a held row with its
    message, corrects it and sees it accepted."""
    from iku import calendar
    from iku.db import now_wib

    period = calendar.previous_period(now_wib())
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale="id-ID"
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{server.url}/masuk")
    page.get_by_label("Nama pengguna").fill("opd_dinkes")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{server.url}/portal")
    assert page.get_by_role("heading", name=f"Formulir {calendar.label(period)}").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the portal scrolls sideways on a phone ({width}px)"

    page.get_by_label("Realisasi DINKES-02").fill("88,4")
    page.get_by_label("Link bukti DINKES-02").fill("https://bukti.example/imunisasi")
    page.get_by_label("Realisasi DINKES-05").fill("sembilan puluh")
    page.get_by_label("Link bukti DINKES-05").fill("https://bukti.example/jkn")
    page.get_by_role("button", name="Kirim formulir").click()
    page.wait_for_load_state()
    held = page.locator("#hasil-DINKES-05")
    assert "Ditahan" in held.inner_text()
    message = held.locator("td.message").inner_text().strip()
    assert message, "a held row says why"
    assert "Diterima" in page.locator("#hasil-DINKES-02").inner_text()
    assert page.locator("#jumlah-ditahan").inner_text().startswith("1 ")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the answer scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(web_db.root / "portal-ditahan.png"), full_page=True)

    # The form keeps what was written: correct the held line only, send again.
    assert page.get_by_label("Realisasi DINKES-02").input_value() == "88,4"
    page.get_by_label("Realisasi DINKES-05").fill("90,5")
    page.get_by_role("button", name="Kirim formulir").click()
    page.wait_for_load_state()
    assert "Diterima" in page.locator("#hasil-DINKES-05").inner_text()
    assert page.locator("#jumlah-ditahan").inner_text().startswith("0 ")
    assert page.locator("#jumlah-diterima").inner_text().startswith("2 ")
    # The figures follow within seconds (the background recomputation), without a cycle.
    figure = page.locator("#angka-DINKES-05")
    for _attempt in range(120):
        page.goto(f"{server.url}/portal?period={period}")
        if figure.count() and "90,5" in figure.inner_text():
            break
        page.wait_for_timeout(500)
    assert "90,5" in page.locator("#angka-DINKES-05").inner_text()
    page.screenshot(path=str(web_db.root / "portal-diterima.png"), full_page=True)
    assert errors == [], errors
    context.close()
