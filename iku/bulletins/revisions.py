"""Re-issue: when a delivered bulletin's figures change, it is issued again as a revision.

What a bulletin shows is summed up as its *figures*: every number a reader acts on, printed
the way the bulletin prints it ("74,06% S", "Tidak tercapai", "belum tersedia"), keyed by what it
is ("DINKES-02 realisasi"). Printed values, not floats: a change below the printed precision is
no change to anyone reading the bulletin. The figures' sha256 decides:

- no earlier issue: revision 1;
- the current issue was never delivered: it is rendered again in place (same revision);
- it was delivered and its figures are the same: it stays as it is (not rendered again, so the
  file on disk is the one its readers got);
- it was delivered and its figures changed (a correction, a steward decision, a late value):
  the next revision, marked "Revisi N" with what changed; the earlier one keeps its row and its
  files (moved to ``<period>/arsip/``) and its deliveries; the new one is delivered once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.formatting import Absent, angka, persen

#: Where earlier revisions' files go, inside the period's output folder.
ARCHIVE_DIR: Final = "arsip"
#: A delivery that may have reached its recipient (sent, or unknown: the relay may have it).
DELIVERED: Final = ("sent", "unknown", "pending")
#: At most this many changes are listed on the bulletin (all of them are in its row).
CHANGES_SHOWN: Final = 25


def _printed(value: Any, kind: str = "angka") -> str:
    if value is None:
        return "–"
    if isinstance(value, Absent):
        return value.label
    if isinstance(value, str):
        return value
    return persen(value) if kind == "persen" else angka(value, 2, 0)


def _capaian(value: Any, predikat: Any) -> str:
    text = _printed(value, "persen")
    if isinstance(predikat, Mapping) and not isinstance(value, Absent):
        return f"{text} ({predikat['label']})"
    return text


def agency_figures(context: Mapping[str, Any]) -> dict[str, str]:
    """The figures of an agency bulletin (see :func:`iku.bulletins.views.agency_context`)."""
    summary = context["summary"]
    figures = {
        "Capaian perangkat daerah": _capaian(summary["capaian"], summary["predikat"]),
        "IKU dihitung": f"{summary['n_included']} dari {summary['n_total']}",
    }
    for row in context["indicators"]:
        code = row["code"]
        figures[f"{code} target"] = _printed(row["target_text"])
        figures[f"{code} realisasi"] = _printed(row["realisasi"])
        figures[f"{code} capaian"] = _capaian(row["capaian"], row["predikat"])
        figures[f"{code} target tercapai"] = row["tercapai"]["label"]
        figures[f"{code} capaian s.d. bulan ini"] = _printed(row["ytd_capaian"], "persen")
        if row["held"]:
            figures[f"{code} menunggu verifikasi"] = "ya"
    return figures


def province_figures(context: Mapping[str, Any]) -> dict[str, str]:
    """The figures of the province bulletin (see :func:`iku.bulletins.views.province_context`)."""
    headline = context["headline"]
    figures = {
        "Capaian provinsi": _capaian(headline["capaian"], headline["predikat"]),
        "Perangkat daerah dihitung": f"{headline['n_included']} dari {headline['n_agencies']}",
        "IKU dihitung": f"{headline['n_indicators_included']} dari {headline['n_indicators']}",
    }
    for row in context["ranking"]:
        figures[f"Capaian {row['code']}"] = _capaian(row["capaian"], row["predikat"])
    for row in context["sectors"]:
        figures[f"Capaian sektor {row['sector']}"] = _capaian(row["capaian"], row["predikat"])
    return figures


def figures_of(audience: str, context: Mapping[str, Any]) -> dict[str, str] | None:
    """A bulletin's figures; None for pages without figures of their own (the index)."""
    if audience == "agency":
        return agency_figures(context)
    if audience == "province":
        return province_figures(context)
    return None


def digest(figures: Mapping[str, str]) -> str:
    return hashlib.sha256(
        json.dumps(dict(sorted(figures.items())), ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """What changed, in the bulletin's words: ``DINKES-02 realisasi: 75,03 → 92,10``."""
    out = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key, "–"), after.get(key, "–")
        if old != new:
            out.append(f"{key}: {old} → {new}")
    return out


@dataclass(frozen=True)
class Issued:
    """The current issue of a bulletin, as the database knows it."""

    id: int
    revision: int
    figures_sha256: str | None
    #: Its figures and those of the revision before it (what a re-render in place compares
    #: with) as the database stores them: JSON text, read when asked for (a rerun leaves most
    #: of 22.000 bulletins as they are without reading their figures).
    figures_json: str | Mapping[str, str] | None
    changes: tuple[str, ...]
    created_at: datetime
    html_path: Path | None
    pdf_path: Path | None
    sha256: str | None
    delivered: bool
    previous_figures_json: str | Mapping[str, str] | None
    previous_issued_at: datetime | None
    #: sha256 of what its files were made from (:func:`iku.bulletins.jobs.inputs_digest`).
    inputs_sha256: str | None = None
    #: sha256 of the read-model data of its context (:func:`iku.bulletins.jobs.source_digest`).
    source_sha256: str | None = None
    #: sha256 of its HTML file as written (:attr:`sha256` is the PDF's, when it has one).
    html_sha256: str | None = None

    @cached_property
    def figures(self) -> Mapping[str, str] | None:
        return _figures_from(self.figures_json)

    @cached_property
    def previous_figures(self) -> Mapping[str, str] | None:
        return _figures_from(self.previous_figures_json)


def _figures_from(stored: str | Mapping[str, str] | None) -> Mapping[str, str] | None:
    if stored is None or isinstance(stored, Mapping):  # a driver that decodes JSON itself
        return stored
    figures: Mapping[str, str] | None = json.loads(stored)
    return figures


def current_issues(session: Session, cycle_id: int) -> dict[tuple[str, str], Issued]:
    """The current (not superseded) issue of every bulletin of a cycle."""
    b = m.Bulletin
    # Columns, the figures as stored text: 22.000 ORM objects and their figures decoded took
    # longer than the rest of a rerun's plan.
    rows = session.execute(
        select(
            b.id,
            b.audience,
            b.subject_key,
            b.revision,
            b.figures_sha256,
            cast(b.figures, Text).label("figures_json"),
            b.changes,
            b.created_at,
            b.html_path,
            b.pdf_path,
            b.sha256,
            b.sent_at,
            b.superseded_at,
            b.inputs_sha256,
            b.source_sha256,
            b.html_sha256,
        ).where(b.cycle_id == cycle_id)
    ).all()
    delivered = set(
        session.scalars(
            select(m.Delivery.bulletin_id)
            .join(b, b.id == m.Delivery.bulletin_id)
            .where(b.cycle_id == cycle_id, m.Delivery.status.in_(DELIVERED))
        )
    )
    by_revision = {(r.audience, r.subject_key, r.revision): r for r in rows}
    issued = {}
    for r in rows:
        if r.superseded_at is not None:
            continue
        before = by_revision.get((r.audience, r.subject_key, r.revision - 1))
        issued[(r.audience, r.subject_key)] = Issued(
            id=r.id,
            revision=r.revision,
            figures_sha256=r.figures_sha256,
            figures_json=r.figures_json,
            changes=tuple(r.changes or ()),
            created_at=r.created_at,
            html_path=None if r.html_path is None else Path(r.html_path),
            pdf_path=None if r.pdf_path is None else Path(r.pdf_path),
            sha256=r.sha256,
            delivered=r.id in delivered or r.sent_at is not None,
            previous_figures_json=None if before is None else before.figures_json,
            previous_issued_at=None if before is None else before.created_at,
            inputs_sha256=r.inputs_sha256,
            source_sha256=r.source_sha256,
            html_sha256=r.html_sha256,
        )
    return issued


@dataclass(frozen=True)
class Decision:
    """What a run does with one bulletin."""

    #: ``new`` (first issue), ``in_place`` (not delivered yet: render again), ``keep``
    #: (delivered, same figures: not rendered again), ``reissue`` (delivered, figures changed).
    action: str
    revision: int
    figures: dict[str, str] | None
    figures_sha256: str | None
    changes: tuple[str, ...] = ()
    #: When the revision this one replaces was issued (shown on a revision).
    replaces_issued_at: datetime | None = None
    current: Issued | None = None

    def banner(self) -> dict[str, Any] | None:
        """The "Revisi N" block of the bulletin (None on revision 1)."""
        if self.revision <= 1:
            return None
        shown = list(self.changes[:CHANGES_SHOWN])
        return {
            "number": self.revision,
            "replaces_issued_at": self.replaces_issued_at,
            "changes": shown,
            "more": len(self.changes) - len(shown),
        }


def _files_exist(issued: Issued) -> bool:
    paths = [p for p in (issued.html_path, issued.pdf_path) if p is not None]
    return bool(paths) and all(p.is_file() for p in paths)


def decide(audience: str, context: Mapping[str, Any], current: Issued | None) -> Decision:
    """What to do with a bulletin whose freshly built context is ``context``."""
    figures = figures_of(audience, context)
    sha = None if figures is None else digest(figures)
    if current is None:
        return Decision("new", 1, figures, sha)
    if not current.delivered or figures is None:
        before = current.previous_figures
        return Decision(
            "in_place",
            current.revision,
            figures,
            sha,
            tuple(changes(before, figures)) if before is not None and figures else (),
            replaces_issued_at=current.previous_issued_at,
            current=current,
        )
    if sha == current.figures_sha256 and _files_exist(current):
        return Decision(
            "keep",
            current.revision,
            figures,
            sha,
            current.changes,
            replaces_issued_at=current.previous_issued_at,
            current=current,
        )
    if sha == current.figures_sha256:
        # Delivered, same figures, but its files are gone: render the same revision again.
        return Decision(
            "in_place",
            current.revision,
            figures,
            sha,
            current.changes,
            replaces_issued_at=current.previous_issued_at,
            current=current,
        )
    before = current.figures or {}
    return Decision(
        "reissue",
        current.revision + 1,
        figures,
        sha,
        tuple(changes(before, figures)),
        replaces_issued_at=current.created_at,
        current=current,
    )


def archived_path(out: Path, path: Path, revision: int) -> Path:
    """Where revision ``revision``'s file goes when the next one replaces it:
    ``<period>/arsip/revisi-<N>/<same relative path>``."""
    relative = path.relative_to(out) if path.is_relative_to(out) else Path(path.name)
    return out / ARCHIVE_DIR / f"revisi-{revision}" / relative
