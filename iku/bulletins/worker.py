"""What a render worker process needs to turn one bulletin's context into its files, and no more.

A pool's worker (:func:`iku.bulletins.jobs.run_jobs`) imports this module, not
:mod:`iku.bulletins.jobs`: it needs Jinja2, Typst and the ``id_ID`` filters, not the ORM, the
read model or pandas (about half a second less per worker to start). The parent sends each
worker the rules once (:func:`start`, the pool's initializer, which also compiles the templates
and loads the fonts while the parent is still planning) and then light :class:`Work` items: a
bulletin's template, context and paths; the worker sends back the files' sha256 or the error.
:func:`render_files` is also what :func:`iku.bulletins.jobs.run_job` calls in-process, so both
paths make the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from iku.bulletins.html import TEMPLATES_DIR, make_environment, render_html
from iku.bulletins.typst import (
    PDF_TEMPLATES,
    bulletin_metadata,
    compile_pdf,
    make_typst_environment,
    render_pdf,
)
from iku.rules import Rules

log = logging.getLogger("iku.bulletins.jobs")  # a worker's records read as the render's

#: A warm-up document: the first compile of a process loads the fonts (about 50 ms).
_WARM_UP_SOURCE: Final = '#set text(font: "DejaVu Sans", lang: "id")\nIKU'
_WARM_UP_DATE: Final = datetime(2026, 1, 1, tzinfo=UTC)


def write_file(path: Path, payload: bytes) -> str:
    """Write ``payload`` to ``path`` and return its sha256. A file that exists is replaced
    through a temporary file and a rename, so a reader never sees half of it; a new file is
    written in place (no reader knows its name before the bulletin's row, the index and the
    manifest name it, which are written after it; a bulletin that fails loses its files)."""
    if path.exists():
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(payload)
        temporary.replace(path)
    else:
        try:
            path.write_bytes(payload)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(payload)
    return hashlib.sha256(payload).hexdigest()


def render_files(
    template: str,
    context: Mapping[str, Any],
    html_path: Path,
    pdf_path: Path | None,
    static_url: str,
    rules: Rules,
) -> tuple[str, str | None]:
    """A bulletin's HTML page and (``pdf_path``) its PDF/A-2b, written; their sha256."""
    env = make_environment(rules)
    html = render_html(env, template, {**context, "static_url": static_url})
    html_sha = write_file(html_path, html.encode("utf-8"))
    pdf_sha = None
    if pdf_path is not None:
        pdf_template = PDF_TEMPLATES[template]
        metadata = bulletin_metadata(pdf_template, context, issuer=rules.bulletin.issuer)
        pdf = render_pdf(pdf_template, context, metadata=metadata, rules=rules)
        pdf_sha = write_file(pdf_path, pdf)
    return html_sha, pdf_sha


def discard(*paths: Path | None) -> None:
    """Remove a failed bulletin's files: never a stale bulletin left behind."""
    for path in paths:
        if path is not None:
            path.unlink(missing_ok=True)


def describe(exc: BaseException) -> str:
    """An error in one line, as a bulletin's failure records it."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:500]


def rendered_by() -> str:
    """``host:pid`` of this process (a bulletin's ``rendered_by``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Work:
    """One bulletin for a pool's worker: what its files are made of, and where they go."""

    #: Its place in the parent's list of jobs (the outcome names it).
    index: int
    #: "agency DINKES", for the log.
    label: str
    template: str
    context: Mapping[str, Any]
    html_path: Path
    pdf_path: Path | None
    static_url: str
    #: None: the rules the worker was started with (:func:`start`).
    rules: Rules | None = None


#: What a worker sends back per bulletin: (index, html sha256, pdf sha256, rendered_by, error);
#: the error is None when the files were written, and the hashes None when it is not.
Outcome = tuple[int, str | None, str | None, str, str | None]

_state: dict[str, Any] = {}


def warm_up(rules: Rules) -> None:
    """Compile every bulletin template and load the fonts into this process's compiler, so the
    first bulletin costs what the others do."""
    html_env = make_environment(rules)
    typst_env = make_typst_environment(rules)
    for path in sorted(TEMPLATES_DIR.rglob("*")):
        name = path.relative_to(TEMPLATES_DIR).as_posix()
        if name.endswith(".html") and not name.startswith("static/"):
            html_env.get_template(name)
        elif name.startswith("typst/") and name.endswith(".typ.j2"):
            typst_env.get_template(name.removeprefix("typst/"))
    compile_pdf(_WARM_UP_SOURCE, created_at=_WARM_UP_DATE)


def start(parent_pid: int, log_queue: Any, rules: Rules) -> None:
    """A render pool's initializer: end with the parent, log through it, keep the rules and
    warm up (:func:`warm_up`)."""
    from iku.processes import start_worker

    start_worker(parent_pid, log_queue)
    _state["rules"] = rules
    try:
        warm_up(rules)
    except Exception:  # a broken template fails its bulletins, with their own messages
        log.warning("render worker warm-up failed", exc_info=True)


def render_chunk(works: Sequence[Work]) -> list[Outcome]:
    """Render some bulletins in this worker; one failing never stops the others."""
    me = rendered_by()
    outcomes: list[Outcome] = []
    for work in works:
        rules = work.rules if work.rules is not None else _state["rules"]
        try:
            html_sha, pdf_sha = render_files(
                work.template,
                work.context,
                work.html_path,
                work.pdf_path,
                work.static_url,
                rules,
            )
        except Exception as exc:
            log.exception("bulletin %s failed", work.label)
            discard(work.html_path, work.pdf_path)
            outcomes.append((work.index, None, None, "", describe(exc)))
            continue
        outcomes.append((work.index, html_sha, pdf_sha, me, None))
    return outcomes
