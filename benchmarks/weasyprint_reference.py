"""WeasyPrint, the bulletins' PDF engine before Typst, kept only as a measured reference row.

WeasyPrint is no dependency of the project any more (neither the runtime nor ``dev``): it and
its system libraries (Pango, HarfBuzz) are installed only with the benchmark extra,
``.venv/bin/pip install -c requirements.lock -e '.[bench]'`` (plus ``apt-get install
libpango-1.0-0 libpangoft2-1.0-0`` on Debian). Without it the benchmarks print that the
reference was skipped and why, and measure Typst alone.

:func:`html_to_pdf` is the render the bulletins used (the HTML bulletin with the vendored
stylesheet and fonts parsed once per process, fonts embedded whole), so the reference row
measures what the old engine cost on the same content.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from iku.bulletins.html import STATIC_DIR, TEMPLATES_DIR


def unavailable() -> str | None:
    """Why the reference cannot run here, or None when it can."""
    try:
        import weasyprint  # noqa: F401
    except Exception as exc:  # ImportError, or OSError when Pango is missing
        return (
            f"WeasyPrint reference skipped ({type(exc).__name__}: {str(exc)[:120]}); install "
            "it with: .venv/bin/pip install -c requirements.lock -e '.[bench]'"
        )
    return None


@lru_cache(maxsize=1)
def _resources() -> tuple[Any, Any]:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return fonts, CSS(filename=str(STATIC_DIR / "bulletin.css"), font_config=fonts)


def html_to_pdf(html: str) -> bytes:
    """A bulletin's HTML (rendered with an empty ``static_url``) as an A4 PDF, with WeasyPrint."""
    from weasyprint import HTML

    fonts, css = _resources()
    document = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/").render(
        stylesheets=[css], font_config=fonts
    )
    pdf: bytes = document.write_pdf(full_fonts=True)
    return pdf


def trivial_pdf(html: str, pdf_path: str) -> None:
    """The old render floor: a trivial HTML page to PDF (a heading and a table)."""
    import weasyprint

    weasyprint.HTML(string=html).write_pdf(pdf_path)
