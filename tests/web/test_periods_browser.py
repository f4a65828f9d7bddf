"""In a real browser (Debian's chromium driven by Playwright): the agency head approves on
``/periode``, the bureau verifies, locks and publishes with the htmx forms, an anonymous
reader opens the public page, and the bureau reopens with a reason."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import PASSWORD, PERIOD, LiveServer, needs_chromium

pytestmark = needs_chromium


def _signed_in(server: LiveServer, browser: Any, username: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="id-ID")
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{server.url}/periode?period={PERIOD}")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{server.url}/periode?period={PERIOD}")
    return context, page, errors


def test_approve_verify_lock_publish_reopen(server: LiveServer, browser: Any) -> None:
    context, page, errors = _signed_in(server, browser, "kadis_dinkes")
    assert page.get_by_role("heading", name="Persetujuan dan penguncian periode").is_visible()
    page.get_by_role("button", name="Setujui").click()
    page.get_by_text("persetujuan dicatat atas nama akun Anda").wait_for()
    assert page.get_by_role("cell", name="disetujui kepala OPD").is_visible()
    assert page.get_by_role("button", name="Kunci periode").count() == 0  # not the head's
    context.close()
    assert errors == []

    context, page, errors = _signed_in(server, browser, "biro")
    page.get_by_role("button", name="Verifikasi").click()
    page.get_by_text("Data bulan ini diverifikasi.").wait_for()
    page.get_by_role("button", name="Kunci periode").click()
    page.get_by_text("Periode dikunci: angkanya final.").wait_for()
    page.get_by_role("button", name="Publikasikan di halaman publik").click()
    page.get_by_text("Periode dipublikasikan di halaman publik.").wait_for()

    reader = browser.new_context(locale="id-ID")
    public = reader.new_page()
    public.goto(f"{server.url}/publik/{PERIOD}/")
    assert public.get_by_role("heading", name="Provinsi", exact=True).is_visible()
    assert public.get_by_role("link", name="capaian.csv").is_visible()
    reader.close()

    page.get_by_label("Alasan membuka kembali (disimpan di log audit)").fill("Koreksi data")
    page.get_by_role("button", name="Buka kembali periode").click()
    page.get_by_text("Periode dibuka kembali; alasannya tercatat di log audit.").wait_for()
    context.close()
    assert errors == []
    reader = browser.new_context(locale="id-ID")
    answer = reader.new_page().goto(f"{server.url}/publik/{PERIOD}/")
    assert answer is not None and answer.status == 404
    reader.close()
