"""Benchmark of the Typst PDF engine against WeasyPrint (not a test): one agency bulletin.

Run: ``.venv/bin/python -m benchmarks.bench_typst [--agencies 60] [--sample 40]``.
Builds a throw-away SQLite database with the synthetic province of ``bench_render`` (``--agencies``
agencies x 5 IKU, four monthly cycles for the sparklines), builds the context of ``--sample``
agency bulletins, then renders each of them with both engines in the same run, interleaved
(Typst, WeasyPrint, WeasyPrint, Typst, ...) so a drift in the shared machine's speed hits both
alike:

- Typst: ``iku.bulletins.typst.render_pdf`` (Jinja2 -> Typst source -> PDF/A-2b) with this
  process's reused compiler;
- WeasyPrint, the reference: ``iku.bulletins.html.render_html`` +
  ``benchmarks.weasyprint_reference.html_to_pdf`` (the bulletins' engine before Typst), when
  the optional ``bench`` extra is installed; otherwise skipped with a note.

Both start from the same prebuilt context (its time is printed apart: both engines need it).
Prints the medians, the p90s and the ratio; target from issue 19: Typst median under 20 ms.

``--sections`` measures instead what each section of the agency bulletin costs Typst: every
bulletin's source is compiled once whole and once without each of its sections (``== ...``
headings), each variant with a compiler of its own and every source compiled once per
compiler, interleaved, because a source compiled again hits Typst's cache and looks cheaper
than it is. Prints the median compile time of each variant and its difference to the whole.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks import weasyprint_reference
from benchmarks.bench_render import PERIODS, RULES_FILE, build_database
from iku.bulletins.html import make_environment, render_html
from iku.bulletins.readmodel import load_period
from iku.bulletins.typst import (
    AGENCY_TEMPLATE,
    FONTS_DIR,
    TYPST_DIR,
    PdfMetadata,
    bulletin_metadata,
    render_pdf,
    render_source,
)
from iku.bulletins.views import agency_context
from iku.db import make_engine
from iku.rules import Rules, load_rules
from iku.settings import TIMEZONE

TARGET_MS = 20.0


def _p90(values: list[float]) -> float:
    return sorted(values)[max(int(len(values) * 0.9) - 1, 0)]


def _without(source: str, heading: str) -> str:
    """``source`` without the section that starts at ``heading`` (up to the next one, or the
    closing note)."""
    start = source.index(heading)
    following = [source.find(mark, start + 1) for mark in ("\n== ", "\n#closing")]
    end = min(p for p in following if p >= 0)
    return source[:start] + source[end + 1 :]


def sections(contexts: list[dict[str, Any]], rules: Rules) -> None:
    """Print what each section of the agency bulletin costs Typst (see the module's doc)."""
    import typst

    sources: list[tuple[str, PdfMetadata]] = []
    for context in contexts:
        metadata = bulletin_metadata(AGENCY_TEMPLATE, context, issuer=rules.bulletin.issuer)
        sources.append(
            (render_source(AGENCY_TEMPLATE, context, metadata=metadata, rules=rules), metadata)
        )
    headings = re.findall(r"^== .*$", sources[0][0], re.MULTILINE)
    variants = ["whole", *headings]
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONTS_DIR)]
    )
    compilers = {
        name: typst.Compiler(root=str(TYPST_DIR), font_paths=fonts, ignore_system_fonts=True)
        for name in variants
    }
    first = sources[0][0].encode("utf-8")
    for compiler in compilers.values():  # fonts and the library, once per compiler
        compiler.compile(input=first, format="pdf", pdf_standards="a-2b")
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for index, (source, metadata) in enumerate(sources[1:]):
        stamp = metadata.created_at.astimezone(UTC).replace(microsecond=0)
        turn = index % len(variants)
        for name in variants[turn:] + variants[:turn]:
            text = source if name == "whole" or name not in source else _without(source, name)
            start = time.perf_counter()
            compilers[name].compile(
                input=text.encode("utf-8"), format="pdf", pdf_standards="a-2b", timestamp=stamp
            )
            timings[name].append((time.perf_counter() - start) * 1000)
    whole = statistics.median(timings["whole"])
    print(f"{len(sources) - 1} agency bulletins, each source compiled once per variant")
    for name in variants:
        median = statistics.median(timings[name])
        label = "whole bulletin" if name == "whole" else f"without {name[3:]}"
        print(f"{label:45.45s} median {median:6.2f} ms  ({median - whole:+.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=60)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    parser.add_argument(
        "--sections", action="store_true", help="What each section costs Typst, instead."
    )
    args = parser.parse_args()
    rules = load_rules(RULES_FILE)

    with tempfile.TemporaryDirectory(prefix="iku-bench-typst-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        build_database(engine, args.agencies, rules)
        data = load_period(
            engine,
            PERIODS[-1],
            rules=rules,
            generated_at=datetime(2026, 11, 10, 9, 30, tzinfo=TIMEZONE),
        )
        engine.dispose()

    agencies = data.agencies[: args.sample]
    start = time.perf_counter()
    contexts = [agency_context(data, agency) for agency in agencies]
    context_ms = (time.perf_counter() - start) / len(contexts) * 1000
    if args.sections:
        sections(contexts, rules)
        return
    env = make_environment(rules)

    def typst_pdf(index: int) -> bytes:
        context = contexts[index % len(contexts)]
        metadata = bulletin_metadata(AGENCY_TEMPLATE, context, issuer=rules.bulletin.issuer)
        return render_pdf(AGENCY_TEMPLATE, context, metadata=metadata, rules=rules)

    skipped = weasyprint_reference.unavailable()

    def weasyprint_pdf(index: int) -> bytes:
        context = contexts[index % len(contexts)]
        html = render_html(env, "agency.html", {**context, "static_url": ""})
        return weasyprint_reference.html_to_pdf(html)

    start = time.perf_counter()
    typst_pdf(0)  # the process's first document: the compiler loads the fonts
    first_ms = (time.perf_counter() - start) * 1000
    for index in range(1, 4):  # warm-up of both: imports, stylesheet, templates
        typst_pdf(index)
        if skipped is None:
            weasyprint_pdf(index)

    timings: dict[str, list[float]] = {"typst": [], "weasyprint": []}
    sizes: dict[str, list[int]] = {"typst": [], "weasyprint": []}
    engines: dict[str, Callable[[int], bytes]] = {"typst": typst_pdf, "weasyprint": weasyprint_pdf}
    for index in range(len(contexts)):
        order = ("typst", "weasyprint") if index % 2 == 0 else ("weasyprint", "typst")
        for name in order:
            if name == "weasyprint" and skipped is not None:
                continue
            start = time.perf_counter()
            pdf = engines[name](index)
            timings[name].append((time.perf_counter() - start) * 1000)
            sizes[name].append(len(pdf))

    typst_ms = statistics.median(timings["typst"])
    weasy_ms = statistics.median(timings["weasyprint"]) if skipped is None else None
    print(
        f"synthetic province: {args.agencies} agencies x 5 IKU; {len(contexts)} agency "
        f"bulletins per engine, interleaved; context (both engines) {context_ms:.1f} ms each"
    )
    print(f"typst, first document of the process: {first_ms:.1f} ms")
    print(
        f"typst      median {typst_ms:7.1f} ms  p90 {_p90(timings['typst']):7.1f} ms  "
        f"PDF {statistics.median(sizes['typst']) / 1000:.0f} KB  (target < {TARGET_MS:.0f} ms)"
    )
    if weasy_ms is None:
        print(skipped)
    else:
        print(
            f"weasyprint median {weasy_ms:7.1f} ms  p90 {_p90(timings['weasyprint']):7.1f} ms  "
            f"PDF {statistics.median(sizes['weasyprint']) / 1000:.0f} KB"
        )
        print(f"ratio weasyprint / typst: {weasy_ms / typst_ms:.1f}x")

    results = {
        "benchmark": "typst",
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPU, Python {platform.python_version()}",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "agencies": args.agencies,
        "sample": len(contexts),
        "context_ms": round(context_ms, 2),
        "typst_first_ms": round(first_ms, 1),
        "typst_median_ms": round(typst_ms, 2),
        "typst_p90_ms": round(_p90(timings["typst"]), 2),
        "weasyprint_median_ms": None if weasy_ms is None else round(weasy_ms, 1),
        "weasyprint_p90_ms": None if weasy_ms is None else round(_p90(timings["weasyprint"]), 1),
        "weasyprint_skipped": skipped,
        "ratio": None if weasy_ms is None else round(weasy_ms / typst_ms, 1),
        "target_met": typst_ms < TARGET_MS,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
