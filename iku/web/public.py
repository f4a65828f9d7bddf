"""The public transparency pages: no sign-in, only periods the bureau has published.

``/publik/`` lists the published periods; ``/publik/<P>/`` shows the province and agency
figures, the rules version and the policies in plain words; ``/publik/<P>/capaian.csv`` (the
same bytes ``iku export`` writes) and ``/publik/<P>/capaian.json`` (the same columns, as
records) are the open data. An unpublished period, in any form, is 404.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from iku.glossary import policies
from iku.periods import APPROVED, VERIFIED
from iku.web.deps import runtime
from iku.web.errors import not_found
from iku.web.templating import render

router = APIRouter(prefix="/publik", include_in_schema=False)


def _ops() -> ModuleType:
    """:mod:`iku.operations.public`, imported at the first public request: it reads the figures
    with pandas, which the web application does not load at start-up."""
    from iku.operations import public

    return public


def _page(template: str, context: dict[str, Any]) -> HTMLResponse:
    html = render(template, {"actor": None, "nav": None, "csrf_token": "", "path": "", **context})
    return HTMLResponse(html)


@router.get("/")
def public_index(request: Request) -> HTMLResponse:
    return _page("public_index.html", {"periods": _ops().public_periods(runtime(request))})


@router.get("/{period}")
def public_period_no_slash(request: Request, period: str) -> Response:
    try:
        shown = _ops().public_period(runtime(request), period)
    except _ops().NotPublished:
        raise not_found() from None
    return RedirectResponse(f"/publik/{shown.period}/", status_code=308)


@router.get("/{period}/")
def public_period_page(request: Request, period: str) -> HTMLResponse:
    rt = runtime(request)
    try:
        shown = _ops().public_period(rt, period)
    except _ops().NotPublished:
        raise not_found() from None
    approvals = shown.approvals
    agencies = [
        {
            **row,
            "approval": approvals[row["agency_code"]].label
            if row["agency_code"] in approvals
            else "–",
            "approved": row["agency_code"] in approvals
            and approvals[row["agency_code"]].state in (APPROVED, VERIFIED),
        }
        for row in shown.agencies
    ]
    return _page(
        "public_period.html",
        {
            "shown": shown,
            "agencies": agencies,
            "policies": policies(rt.rules),
            "withheld": rt.rules.approval.unapproved_in_province == "withheld",
        },
    )


@router.get("/{period}/capaian.csv")
def public_capaian_csv(request: Request, period: str) -> Response:
    try:
        text = _ops().public_csv(runtime(request), period)
    except _ops().NotPublished:
        raise not_found() from None
    from iku.calendar import Period  # numpy: not at the web's start-up

    name = f"capaian_{Period.parse(period)!s}.csv"  # published: a canonical YYYY-MM
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{period}/capaian.json")
def public_capaian_json(request: Request, period: str) -> JSONResponse:
    try:
        records = _ops().public_records(runtime(request), period)
    except _ops().NotPublished:
        raise not_found() from None
    return JSONResponse(records)
