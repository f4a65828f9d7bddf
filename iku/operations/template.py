"""The pre-filled .xlsx submission template of an agency for a period."""

from __future__ import annotations

from pathlib import Path

from iku.db import now_wib
from iku.ingest.template import TemplateSpec, spec_for_agency, write_template
from iku.operations.ingest import load_context
from iku.runtime import Runtime


def template_spec(rt: Runtime, agency: str, period: str) -> TemplateSpec:
    """The template's rows (``KeyError`` for an unknown agency code)."""
    context = load_context(rt)
    try:
        return spec_for_agency(context, agency, period, now_wib())
    finally:
        context.close()


def default_path(rt: Runtime, spec: TemplateSpec) -> Path:
    """Where a template goes unless the user names a file."""
    name = f"Realisasi_IKU_{spec.agency_code}_{spec.period}.xlsx"
    return rt.paths.output / "templates" / name


def write(spec: TemplateSpec, path: Path) -> Path:
    """Write the template workbook."""
    return write_template(spec, path)
