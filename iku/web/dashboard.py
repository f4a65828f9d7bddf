"""The leaders' dashboard (``/dasbor``, its drill-down and the source of a figure), the
bulletin archive (``/arsip``) and the glossary (``/glosarium``). Thin: access, an operation,
a template.

Roles: the dashboard is ``Action.DASHBOARD_READ`` (leader and bureau: every level; an agency
head: its own agency and its IKU, 403 elsewhere, including the province and sector levels);
what an address names is looked up first (404 with a sentence), then the scope is checked.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iku.access import Action, Actor, Role, can, require
from iku.db import now_wib, session_scope
from iku.glossary import glossary
from iku.i18n import _
from iku.operations import dashboard as ops
from iku.operations.archive import archive_choices, bulletin_archive
from iku.web.deps import PageUser, page_user, runtime
from iku.web.errors import WebError
from iku.web.pages import page
from iku.web.views import parse_period

log = logging.getLogger("iku.web")
router = APIRouter(include_in_schema=False)

DashboardUser = Annotated[PageUser, Depends(page_user(Action.DASHBOARD_READ))]
PeriodQuery = Annotated[str | None, Query(max_length=7)]


def dashboard_home(actor: Actor) -> str:
    """Where an actor's dashboard starts: the province, or an agency head's own agency."""
    if actor.role is Role.AGENCY_HEAD and actor.agencies:
        return f"/dasbor/opd/{next(iter(sorted(actor.agencies)))}"
    return "/dasbor"


def _not_found(error: ops.DashboardNotFound) -> WebError:
    value = error.value
    sentences = {
        "period": _(
            "There are no computed figures for the period %(value)s. Choose a period from "
            "the list.",
            value=value,
        ),
        "sector": _(
            "There is no sector '%(value)s'. Go back to the dashboard and choose a sector "
            "from the list.",
            value=value,
        ),
        "agency": _(
            "There is no agency with the code '%(value)s'. Go back to the dashboard and "
            "choose an agency from the list.",
            value=value,
        ),
        "indicator": _(
            "There is no IKU with the code '%(value)s' here. Go back to the agency's page and "
            "choose an IKU from the list.",
            value=value,
        ),
        "source": _(
            "This source row does not exist. Go back to the IKU's page and follow its source link.",
        ),
    }
    return WebError(404, sentences[error.kind])


def _period(request: Request, text: str | None) -> tuple[str | None, list[str]]:
    """The chosen period (default: the latest evaluated) and every evaluated period."""
    chosen = parse_period(text)
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        periods = ops.evaluated_periods(db)
    if chosen is None:
        return (periods[0] if periods else None), periods
    if chosen not in periods:
        raise _not_found(ops.DashboardNotFound("period", chosen))
    return chosen, periods


def _page(
    request: Request, user: PageUser, template: str, context: dict[str, Any], **kw: Any
) -> HTMLResponse:
    rt = runtime(request)
    return page(
        request,
        template,
        {
            "glossary": glossary(rt.rules),
            "dashboard_home": dashboard_home(user.actor),
            "band_colors": {b.code: b.color for b in rt.rules.predikat.bands},
            **context,
        },
        user=user,
        **kw,
    )


def _no_figures(request: Request, user: PageUser) -> HTMLResponse:
    return _page(request, user, "dashboard/empty.html", {"period": None, "periods": []})


@router.get("/dasbor")
def province(request: Request, user: DashboardUser, period: PeriodQuery = None) -> Response:
    if user.actor.role is Role.AGENCY_HEAD:
        target = dashboard_home(user.actor)
        chosen = parse_period(period)  # 422 for a malformed period, never echoed unchecked
        return RedirectResponse(target + (f"?period={chosen}" if chosen else ""), 303)
    require(user.actor, Action.DASHBOARD_READ, None)
    chosen, periods = _period(request, period)
    if chosen is None:
        return _no_figures(request, user)
    rt = runtime(request)
    data = _load(request, chosen, ["province"])
    with session_scope(rt.engine) as db:
        last = ops.last_year(db, chosen, ["province"])
    view = ops.province_view(data, last)
    return _page(
        request,
        user,
        "dashboard/province.html",
        {"period": chosen, "periods": periods, "view": view, "level": "province"},
    )


def submission_status(status: str) -> str:
    """A submission's status in the reader's language."""
    return {
        "received": _("received, not yet read"),
        "staged": _("read, waiting for validation"),
        "validated": _("validated"),
        "rejected": _("rejected"),
        "superseded": _("replaced by a later version"),
    }.get(status, status)


def _scope_of_catalog(
    request: Request, actor: Actor, *, agency: str | None = None, indicator: str | None = None
) -> None:
    """An agency or IKU of the catalog without figures of the period is still an agency's:
    outside the actor's scope the answer is 403, as for one with figures (no guessing which
    codes exist elsewhere); inside it, or unknown, the caller answers 404."""
    with session_scope(runtime(request).engine) as db:
        owner = ops.catalog_owner(db, agency=agency, indicator=indicator)
    if owner is not None:
        require(actor, Action.DASHBOARD_READ, owner)


def _load(request: Request, period: str, history: list[str] | None = None) -> Any:
    try:
        return ops.load(runtime(request), period, as_of=now_wib(), history_keys=history)
    except ops.DashboardNotFound as error:
        raise _not_found(error) from None


@router.get("/dasbor/sektor/{name}")
def sector(
    request: Request, name: str, user: DashboardUser, period: PeriodQuery = None
) -> Response:
    chosen, periods = _period(request, period)
    if chosen is None:
        return _no_figures(request, user)
    key = f"sector:{name}"
    data = _load(request, chosen, [key])
    if key not in data.results:
        raise _not_found(ops.DashboardNotFound("sector", name))
    require(user.actor, Action.DASHBOARD_READ, None)  # a sector is no single agency's
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        last = ops.last_year(db, chosen, [key])
    view = ops.sector_view(data, name, last)
    return _page(
        request,
        user,
        "dashboard/sector.html",
        {"period": chosen, "periods": periods, "view": view, "level": "sector"},
    )


@router.get("/dasbor/opd/{code}")
def agency(
    request: Request, code: str, user: DashboardUser, period: PeriodQuery = None
) -> Response:
    chosen, periods = _period(request, period)
    if chosen is None:
        return _no_figures(request, user)
    data = _load(request, chosen, [f"agency:{code}"])
    try:
        info = ops.find_agency(data, code)
    except ops.DashboardNotFound as error:
        _scope_of_catalog(request, user.actor, agency=code)
        raise _not_found(error) from None
    require(user.actor, Action.DASHBOARD_READ, info.code)
    rt = runtime(request)
    keys = [f"agency:{info.code}", *(f"indicator:{i.code}" for i in info.indicators)]
    with session_scope(rt.engine) as db:
        last = ops.last_year(db, chosen, keys)
        found = ops.sources(db, data.cycle_id, ops.indicator_ids(data, info))
    view = ops.agency_view(data, info.code, last, found)
    return _page(
        request,
        user,
        "dashboard/agency.html",
        {
            "period": chosen,
            "periods": periods,
            "view": view,
            "level": "agency",
            "sees_province": can(user.actor, Action.DASHBOARD_READ, None),
        },
    )


@router.get("/dasbor/iku/{code}")
def indicator(
    request: Request,
    code: str,
    user: DashboardUser,
    period: PeriodQuery = None,
    opd: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    chosen, periods = _period(request, period)
    if chosen is None:
        return _no_figures(request, user)
    data = _load(request, chosen, [f"indicator:{code}"])
    try:
        info, ikus = ops.find_indicator(data, code)
    except ops.DashboardNotFound as error:
        _scope_of_catalog(request, user.actor, indicator=code)
        raise _not_found(error) from None
    if opd and opd != info.code:
        # An IKU belongs to one agency; another agency's code names nothing.
        raise _not_found(ops.DashboardNotFound("indicator", f"{code} ({opd})"))
    require(user.actor, Action.DASHBOARD_READ, info.code)
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        last = ops.last_year(db, chosen, [f"indicator:{code}"])
        found = ops.sources(
            db, data.cycle_id, {ikus.id: ops.indicator_ids(data, info).get(ikus.id, chosen)}
        )
        targets = ops.target_versions(db, ikus.id, int(chosen[:4]))
    view = ops.indicator_view(data, code, last, found, targets)
    return _page(
        request,
        user,
        "dashboard/indicator.html",
        {
            "period": chosen,
            "periods": periods,
            "view": view,
            "level": "indicator",
            "sees_province": can(user.actor, Action.DASHBOARD_READ, None),
        },
    )


@router.get("/dasbor/sumber/{realisation_id}")
def source(
    request: Request, realisation_id: int, user: DashboardUser, period: PeriodQuery = None
) -> Response:
    chosen = parse_period(period)
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        try:
            detail = ops.source_detail(db, realisation_id)
        except ops.DashboardNotFound as error:
            raise _not_found(error) from None
        require(user.actor, Action.DASHBOARD_READ, detail.agency_code)
        context = {
            "detail": detail,
            "realisation": detail.realisation,
            "submission": detail.submission,
            "staged": detail.staged,
            "evidence_link": ops.safe_link(detail.realisation.evidence_url),
            "status_label": submission_status(detail.submission.status),
            "file_link": f"/berkas/{detail.submission.id}"
            if can(user.actor, Action.SUBMISSION_FILE_READ, detail.agency_code)
            else None,
            "period": chosen or detail.period,
            "periods": [],
            "level": "source",
            "sees_province": can(user.actor, Action.DASHBOARD_READ, None),
        }
        return _page(request, user, "dashboard/source.html", context)


@router.get("/glosarium")
def glossary_page(
    request: Request, user: Annotated[PageUser, Depends(page_user())]
) -> HTMLResponse:
    rt = runtime(request)
    return page(
        request,
        "glossary.html",
        {"glossary": glossary(rt.rules), "dashboard_home": dashboard_home(user.actor)},
        user=user,
    )


# --- The bulletin archive ----------------------------------------------------------------------


@router.get("/arsip")
def archive(
    request: Request,
    user: Annotated[PageUser, Depends(page_user(Action.BULLETIN_READ))],
    period: PeriodQuery = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    rt = runtime(request)
    chosen = parse_period(period)
    with session_scope(rt.engine) as db:
        if agency:
            require(user.actor, Action.BULLETIN_READ, None if agency == "provinsi" else agency)
        entries = bulletin_archive(
            db, user.actor, period=chosen, agency=agency or None, search=(q or "").strip()
        )
        periods, agencies = archive_choices(db, user.actor)
    return page(
        request,
        "archive.html",
        {
            "entries": entries,
            "filters": {"period": chosen or "", "agency": agency or "", "q": q or ""},
            "choices": {"periods": periods, "agencies": agencies},
            "province_allowed": can(user.actor, Action.BULLETIN_READ, None),
        },
        user=user,
    )
