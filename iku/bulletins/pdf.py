"""HTML to PDF with WeasyPrint: vendored files only, resources parsed once per thread."""

from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path
from typing import Any, Final

from iku.bulletins.html import STATIC_DIR, TEMPLATES_DIR

log = logging.getLogger(__name__)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _fetcher_class() -> type:
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    class TemplatesOnlyFetcher(URLFetcher):
        """Fetches ``data:`` URLs and files under report_templates/, nothing else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file" and _inside(Path(unquote(parts.path)), TEMPLATES_DIR):
                return super().fetch(url, headers)
            raise ValueError(f"refused to fetch {url!r}: bulletins use only vendored files")

    return TemplatesOnlyFetcher


#: WeasyPrint objects are not shared between threads (a thread-pool task runner may render
#: several bulletins at once): each thread keeps its own fetcher, fonts and parsed stylesheet.
_thread = threading.local()


def url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that cannot reach the network or leave report_templates/."""
    fetcher = getattr(_thread, "fetcher", None)
    if fetcher is None:
        fetcher = _thread.fetcher = _fetcher_class()(allowed_protocols=("file", "data"))
    return fetcher


def _forget_pdf_resources() -> None:
    _thread.__dict__.pop("pdf", None)


def _pdf_resources() -> tuple[Any, Any]:
    """The stylesheet and its fonts, parsed once per thread (a third of a render otherwise)."""
    resources = getattr(_thread, "pdf", None)
    if resources is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        css = CSS(
            filename=str(STATIC_DIR / "bulletin.css"), font_config=fonts, url_fetcher=url_fetcher()
        )
        resources = _thread.pdf = (fonts, css)
        if threading.current_thread() is threading.main_thread():
            # Freed before the interpreter tears WeasyPrint's C bindings down (a noisy __del__).
            atexit.register(_forget_pdf_resources)
    return resources


#: A PDF above this size embeds a whole fallback system font: subset it instead.
FULL_FONTS_LIMIT: Final = 300_000


def html_to_pdf(html: str) -> bytes:
    """Render a bulletin's HTML (rendered with an empty ``static_url``) to an A4 PDF.

    The vendored fonts are small subsets already, so they are embedded whole: subsetting them
    per document cost a third of the writing time. Text outside them (a note in another
    script) falls back to a system font; that PDF is written again with subsetting.
    """
    from weasyprint import HTML

    fonts, css = _pdf_resources()
    document = HTML(
        string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=url_fetcher()
    ).render(stylesheets=[css], font_config=fonts)
    pdf: bytes = document.write_pdf(full_fonts=True)
    if len(pdf) > FULL_FONTS_LIMIT:
        pdf = document.write_pdf()
    return pdf
