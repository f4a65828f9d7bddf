"""The ``/periode`` page: a period's approval status per agency, and its actions.

The bureau sees every agency with "verify" on approved months, and locks, reopens (with a
reason) and publishes the period; an agency head sees its own agency and approves it; the
leader and an agency's data officer read. Thin: access and the operations of
:mod:`iku.operations.periods`; a refused transition shows the page again with its sentence
(409).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from iku import models as m
from iku.access import Action, Role, can
from iku.db import session_scope
from iku.i18n import N_, _
from iku.operations import periods as ops
from iku.periods import APPROVED, SUBMITTED, PeriodInputError, PeriodStateError
from iku.web.deps import CsrfChecked, PageUser, client_address, page_user, runtime
from iku.web.pages import page
from iku.web.views import parse_period

router = APIRouter(include_in_schema=False)

DONE = {
    "approve": N_("The month is approved; the approval is recorded under your account."),
    "verify": N_("The month is verified."),
    "lock": N_("The period is locked: its figures are final."),
    "reopen": N_("The period is reopened; the reason is in the audit log."),
    "publish": N_("The period is published on the public pages."),
}


def _periods(request: Request) -> list[str]:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        found = db.scalars(select(m.EvaluationCycle.period).distinct()).all()
    return sorted(found, reverse=True)


def _status_page(
    request: Request,
    user: PageUser,
    period: str | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    rt = runtime(request)
    periods = _periods(request)
    chosen = period or (periods[0] if periods else None)
    shown = ops.status(rt, chosen, actor=user.actor) if chosen else None
    actor = user.actor
    rows: list[dict[str, Any]] = []
    if shown is not None:
        for a in shown.agencies:
            rows.append(
                {
                    "a": a,
                    "can_approve": not shown.locked
                    and a.state == SUBMITTED
                    and can(actor, Action.PERIOD_APPROVE, a.agency_code),
                    "can_verify": not shown.locked
                    and a.state == APPROVED
                    and can(actor, Action.PERIOD_VERIFY, a.agency_code),
                }
            )
    manage = can(actor, Action.PERIOD_MANAGE)
    return page(
        request,
        "periods.html",
        {
            "shown": shown,
            "periods": periods,
            "rows": rows,
            "can_lock": manage and shown is not None and not shown.locked and shown.computed,
            "can_reopen": manage and shown is not None and shown.locked,
            "can_publish": manage and shown is not None and shown.locked and not shown.published,
            "notice": notice,
            "error": error,
            "is_head": actor.role is Role.AGENCY_HEAD,
        },
        user=user,
        status=status,
    )


@router.get("/periode")
def periods_page(
    request: Request,
    user: Annotated[PageUser, Depends(page_user(Action.PERIOD_READ))],
    period: Annotated[str | None, Query(max_length=7)] = None,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    chosen = parse_period(period)
    notice = _(DONE[done]) if done in DONE else None
    return _status_page(request, user, chosen, notice=notice)


def _act(request: Request, user: PageUser, period: str, action: str, **kw: Any) -> Response:
    rt = runtime(request)
    chosen = parse_period(period)
    assert chosen is not None
    actor = user.actor.at(client_address(request))
    try:
        if action == "approve":
            ops.approve(rt, chosen, kw["agency"], actor=actor)
        elif action == "verify":
            ops.verify(rt, chosen, kw["agency"], actor=actor)
        elif action == "lock":
            ops.lock(rt, chosen, actor=actor)
        elif action == "reopen":
            ops.reopen(rt, chosen, actor=actor, reason=kw["reason"])
        else:
            ops.publish(rt, chosen, actor=actor)
    except PeriodInputError as exc:
        return _status_page(request, user, chosen, error=str(exc), status=422)
    except PeriodStateError as exc:
        return _status_page(request, user, chosen, error=str(exc), status=409)
    return RedirectResponse(f"/periode?period={chosen}&done={action}", status_code=303)


@router.post("/periode/{period}/persetujuan", dependencies=[CsrfChecked])
def approve(
    request: Request,
    period: str,
    user: Annotated[PageUser, Depends(page_user(Action.PERIOD_APPROVE))],
    agency: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    code = agency or next(iter(sorted(user.actor.agencies)), "")
    return _act(request, user, period, "approve", agency=code)


@router.post("/periode/{period}/verifikasi", dependencies=[CsrfChecked])
def verify(
    request: Request,
    period: str,
    user: Annotated[PageUser, Depends(page_user(Action.PERIOD_VERIFY))],
    agency: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    return _act(request, user, period, "verify", agency=agency)


@router.post("/periode/{period}/kunci", dependencies=[CsrfChecked])
def lock(
    request: Request,
    period: str,
    user: Annotated[PageUser, Depends(page_user(Action.PERIOD_MANAGE))],
) -> Response:
    return _act(request, user, period, "lock")


@router.post("/periode/{period}/buka", dependencies=[CsrfChecked])
def reopen(
    request: Request,
    period: str,
    user: Annotated[PageUser, Depends(page_user(Action.PERIOD_MANAGE))],
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    return _act(request, user, period, "reopen", reason=reason)


@router.post("/periode/{period}/terbitkan", dependencies=[CsrfChecked])
def publish(
    request: Request,
    period: str,
    user: Annotated[PageUser, Depends(page_user(Action.PERIOD_MANAGE))],
) -> Response:
    return _act(request, user, period, "publish")
